"""``loanwatch model train --data`` and ``loanwatch model score`` end to end: the JSON
document, the registered model, the scores file, and bad input that registers nothing."""

from __future__ import annotations

import csv
from pathlib import Path

import orjson
import pytest

from risk.models.registry import list_models, load_model
from tests.command_line import command_line_database, run_loanwatch
from tests.models.tabular_samples import credit_sample, write_csv


def test_train_registers_the_better_model_and_score_writes_pd_and_reasons(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    engine = command_line_database(tmp_path, monkeypatch)
    frame, y, _ = credit_sample(400, seed=4)
    data = tmp_path / "loans.csv"
    write_csv(str(data), frame, y)

    assert run_loanwatch(monkeypatch, "model", "train", "--data", str(data),
                         "--target", "default", "--drop", "noise", "--json") == 0
    captured = capsys.readouterr()
    document = orjson.loads(captured.out)  # exactly one document on stdout
    assert document["rows"] == 400 and document["folds"] == 5
    for kind in ("gbm", "scorecard"):
        for metric in ("auc", "ks", "brier"):
            assert set(document["models"][kind][metric]) == {"mean", "std"}
        assert document["models"][kind]["auc"]["mean"] > 0.65
    best = document["best"]
    assert document["models"][best]["auc"]["mean"] == max(
        m["auc"]["mean"] for m in document["models"].values())
    assert "customer_id" in captured.err  # the id column, reported as set aside

    registered = load_model(engine, document["model_id"])
    assert registered.kind == best and registered.scope == "file"
    assert sorted(registered.feature_names) == ["income", "purpose", "utilisation"]
    assert registered.training["id_columns"] == ["customer_id"]
    assert registered.metrics["auc"] == document["models"][best]["auc"]

    out = tmp_path / "scores.csv"
    assert run_loanwatch(monkeypatch, "model", "score", "--model", document["model_id"],
                         "--data", str(data), "--out", str(out)) == 0
    with out.open() as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 400
    assert rows[0]["customer_id"] == "C000000"
    assert all(0 < float(r["pd"]) < 1 for r in rows)
    riskiest = max(rows, key=lambda r: float(r["pd"]))
    assert riskiest["reason_1"] != ""
    assert {"reason_1", "reason_2", "reason_3"} <= set(rows[0])


def test_bad_input_is_one_line_error_and_registers_nothing(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    engine = command_line_database(tmp_path, monkeypatch)
    data = tmp_path / "loans.csv"
    data.write_text("id,rate,region,default\n" + "".join(
        f"{i},{i % 7},north,{i % 3 == 0:d}\n" for i in range(60)))
    assert run_loanwatch(monkeypatch, "model", "train", "--data", str(data),
                         "--target", "default") == 1
    err = capsys.readouterr().err
    assert "constant column 'region' (always 'north')" in err
    assert "--drop region" in err and "Traceback" not in err
    assert run_loanwatch(monkeypatch, "model", "train", "--data", str(data),
                         "--target", "outcome") == 1
    assert "no column 'outcome'" in capsys.readouterr().err
    assert list_models(engine) == []

    scored = tmp_path / "other.csv"
    scored.write_text("id,rate\n1,2\n")
    assert run_loanwatch(monkeypatch, "model", "score", "--model", "M00001",
                         "--data", str(scored), "--out", str(tmp_path / "s.csv")) == 1
    assert "no model M00001" in capsys.readouterr().err
