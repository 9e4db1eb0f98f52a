"""``loanwatch collections run|bucket|report|cases|case|hold|resume`` in-process on a SQLite
database of its own, with a settings file, and their errors (no traceback)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import orjson
import pytest
from sqlalchemy import Engine, text

from tests.command_line import command_line_database, run_loanwatch
from tests.risk.classification.books import add_loan, month_end, pay

DUES = [month_end(2024, m) for m in range(1, 7)]
SETTINGS = """\
buckets:
  - {name: current, min_days: 0, max_days: 0}
  - {name: early, min_days: 1, max_days: 20}
  - {name: late, min_days: 21}
"""


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    engine = command_line_database(tmp_path, monkeypatch)
    add_loan(engine, "L1", "P1", DUES)
    pay(engine, "L1", [(due, 1_100) for due in DUES])
    add_loan(engine, "L2", "P2", DUES)
    pay(engine, "L2", [(date(2024, 2, 20), 1_100)])
    yield engine
    engine.dispose()


def _json(capsys: pytest.CaptureFixture[str]) -> Any:
    return orjson.loads(capsys.readouterr().out)


def test_run_query_report_and_work_a_case(database: Engine, tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    settings = tmp_path / "collections.yaml"
    settings.write_text(SETTINGS)
    monkeypatch.setenv("LOANWATCH_COLLECTIONS_CONFIG", str(settings))
    # L2 is 10 days past due on 02-10 (early), pays January on 02-20 (current).
    assert run_loanwatch(monkeypatch, "collections", "run", "--as-of", "2024-02-10",
                         "--json") == 0
    (day,) = _json(capsys)["days"]
    assert (day["as_of"], day["already_done"]) == ("2024-02-10", False)
    assert day["summary"]["by_bucket"] == {"current": 1, "early": 1, "late": 0, "closed": 0,
                                           "written_off": 0}
    assert run_loanwatch(monkeypatch, "collections", "run", "--as-of", "2024-02-25",
                         "--json") == 0
    days = _json(capsys)["days"]
    assert [d["as_of"] for d in days][::5] == ["2024-02-11", "2024-02-16", "2024-02-21"]
    assert run_loanwatch(monkeypatch, "collections", "run", "--as-of", "2024-02-25",
                         "--json") == 0
    assert _json(capsys)["days"][0]["already_done"] is True

    assert run_loanwatch(monkeypatch, "collections", "bucket", "L2", "--as-of", "2024-02-15",
                         "--json") == 0
    assert _json(capsys) == {"loan": "L2", "as_of": "2024-02-15", "bucket": "early",
                             "dpd": 15, "since": "2024-02-10", "run": 1}
    assert run_loanwatch(monkeypatch, "collections", "report", "--from", "2024-02-10",
                         "--to", "2024-02-25", "--json") == 0
    rates = _json(capsys)
    assert rates["counts"]["early"]["current"] == 1 and rates["cure_rate"] == 1.0

    assert run_loanwatch(monkeypatch, "collections", "cases", "--json") == 0
    (case,) = _json(capsys)
    assert (case["id"], case["state"], case["segment"]["key"]) == (
        "L2@2024-02-10", "cured", "unrated/small/new")
    # A cured case cannot be held: refused with the states it could take, no traceback.
    assert run_loanwatch(monkeypatch, "collections", "hold", "L2@2024-02-10", "--reason",
                         "dispute", "--actor", "ann") == 1
    err = capsys.readouterr().err
    assert "case L2@2024-02-10 is cured: held is not allowed" in err
    assert "Traceback" not in err
    assert run_loanwatch(monkeypatch, "collections", "case", "L2@2024-02-10") == 0
    shown = capsys.readouterr().out
    assert "opened" in shown and "cured" in shown and "system" in shown
    with database.connect() as connection:
        logged = connection.execute(text(
            "SELECT count(*) FROM audit_log WHERE operation LIKE 'collections case %'"
        )).scalar_one()
    assert logged == 2  # opened, cured


def test_errors_name_the_problem(database: Engine, tmp_path: Path,
                                 monkeypatch: pytest.MonkeyPatch,
                                 capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("buckets:\n  - {name: current, min_days: 0, max_days: 0}\n"
                   "  - {name: a, min_days: 5}\n")
    assert run_loanwatch(monkeypatch, "collections", "run", "--as-of", "2024-02-10",
                         "--config", str(bad)) == 1
    err = capsys.readouterr().err
    assert f"{bad}:3: buckets[1].min_days: 5 leaves a gap" in err
    assert run_loanwatch(monkeypatch, "collections", "bucket", "L2", "--as-of",
                         "2024-02-10") == 1
    assert "no collections run has been made yet" in capsys.readouterr().err
    assert run_loanwatch(monkeypatch, "collections", "report", "--from", "yesterday",
                         "--to", "2024-02-10") == 1
    assert "--from 'yesterday' is not a date" in capsys.readouterr().err
