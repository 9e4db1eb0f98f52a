"""``loanwatch model fit`` on a generated portfolio, then ``scan`` and ``scan scores``: both
kinds validated out of sample and out of time and registered, the better one promoted and
scoring every borrower; a date without enough history refused with nothing registered."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest
from sqlalchemy import Engine, text

from graph.stores.embedded import EmbeddedGraphStore
from seeds.config import PortfolioConfig
from seeds.generate import generate_portfolio
from tests.command_line import command_line_database, run_loanwatch
from tests.ingest.importing import import_files


@pytest.fixture(scope="module")
def portfolio(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("fit") / "portfolio"
    generate_portfolio(PortfolioConfig(borrowers=2500, seed=13), out)
    return out


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
             portfolio: Path) -> Iterator[Engine]:
    engine = command_line_database(tmp_path, monkeypatch)
    import_files([portfolio], EmbeddedGraphStore(engine), engine)
    yield engine
    engine.dispose()


def _count(engine: Engine, table: str) -> int:
    with engine.connect() as connection:
        return int(connection.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())


def test_fit_promote_scan_and_read_the_scores(database: Engine, monkeypatch: pytest.MonkeyPatch,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    assert run_loanwatch(monkeypatch, "model", "fit", "--as-of", "2025-06-30", "--promote",
                         "--json") == 0
    report = orjson.loads(capsys.readouterr().out)
    assert (report["development"], report["out_of_time"]) == ("2023-12-31", "2024-06-30")
    assert set(report["models"]) == {"gbm", "scorecard"}
    for kind in ("gbm", "scorecard"):
        validated = report["models"][kind]
        assert 0.5 < validated["out_of_time"]["auc"] <= 1.0
        assert validated["out_of_time"]["defaults"] >= 10
        assert len(validated["calibration"]) == 10
        assert validated["psi_score"] is not None and validated["psi_features"]
    best = report["models"][report["best"]]
    assert report["promoted"] == best["model_id"]
    assert _count(database, "model_registry") == 2

    assert run_loanwatch(monkeypatch, "model", "show", best["model_id"], "--json") == 0
    shown = orjson.loads(capsys.readouterr().out)
    assert shown["status"] == "production" and shown["scope"] == "portfolio"
    assert shown["training"]["snapshots"] == ["2023-12-31", "2024-06-30"]
    assert shown["training"]["definition"]["days_past_due"] == 90

    assert run_loanwatch(monkeypatch, "scan", "--as-of", "2025-06-30", "--json") == 0
    summary = orjson.loads(capsys.readouterr().out)["summary"]["scores"]
    assert summary["model"] == best["model_id"] and summary["borrowers"] > 500
    assert run_loanwatch(monkeypatch, "scan", "scores", "--top", "3", "--json") == 0
    top = orjson.loads(capsys.readouterr().out)
    assert len(top) == 3 and top[0]["pd"] >= top[1]["pd"] >= top[2]["pd"]
    assert all(0 < row["pd"] < 1 and row["reasons"] for row in top)
    assert run_loanwatch(monkeypatch, "scan", "scores", "--party", top[0]["party"]) == 0
    assert top[0]["party"] in capsys.readouterr().out
    assert run_loanwatch(monkeypatch, "scan", "scores", "--party", "NOBODY") == 1
    assert "no stored PD for NOBODY" in capsys.readouterr().err


def test_a_date_without_enough_history_registers_nothing(
        database: Engine, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    assert run_loanwatch(monkeypatch, "model", "fit", "--as-of", "2024-03-31") == 1
    error = capsys.readouterr().err
    assert "cannot train a 12-month PD model as of 2024-03-31" in error
    assert "--as-of" in error
    assert _count(database, "model_registry") == 0
