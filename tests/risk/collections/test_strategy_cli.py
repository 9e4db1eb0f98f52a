"""``loanwatch collections strategies|tasks|contact|promises`` in-process on a SQLite
database of its own, with a strategies file, and their errors (no traceback)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from sqlalchemy import Engine, text

from tests.command_line import command_line_database, run_loanwatch
from tests.risk.classification.books import add_loan, month_end

DUES = [month_end(2024, m) for m in range(1, 7)]
STRATEGIES = """\
strategies:
  firm:
    steps:
      - {action: sms, day: 0}
      - {action: call_task, day: 0}
segments:
  - {match: "*", champion: firm}
contact:
  timezone: Asia/Shanghai
"""


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    engine = command_line_database(tmp_path, monkeypatch)
    add_loan(engine, "L2", "P2", DUES)
    add_loan(engine, "L4", "P4", DUES)
    yield engine
    engine.dispose()


def _json(capsys: pytest.CaptureFixture[str]) -> Any:
    return orjson.loads(capsys.readouterr().out)


def test_a_day_of_collections_work(database: Engine, tmp_path: Path,
                                   monkeypatch: pytest.MonkeyPatch,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    file = tmp_path / "strategies.yaml"
    file.write_text(STRATEGIES)
    monkeypatch.setenv("LOANWATCH_COLLECTIONS_STRATEGIES", str(file))
    assert run_loanwatch(monkeypatch, "collections", "run", "--as-of", "2024-02-15",
                         "--json") == 0
    capsys.readouterr()
    # P4 wants e-mail only.
    assert run_loanwatch(monkeypatch, "collections", "contact", "set", "P4", "--prefer",
                         "email", "--refuse", "sms", "--actor", "ann", "--json") == 0
    assert _json(capsys)["refused"] == ["sms"]
    assert run_loanwatch(monkeypatch, "collections", "strategies", "run", "--as-of",
                         "2024-02-15", "--json") == 0
    step = _json(capsys)
    assert step["assigned"] == {"firm/champion": 2}
    assert step["dispatched"] == {"email": 1, "sms": 1}
    assert step["tasks"] == {"call_task": 2}
    assert run_loanwatch(monkeypatch, "collections", "strategies", "actions",
                         "L4@2024-02-15", "--json") == 0
    assert [(a["kind"], a["status"], a["channel"]) for a in _json(capsys)] == [
        ("sms", "dispatched", "email"), ("call_task", "open", None)]

    # A collector calls P2, who promises 11.00 by 02-20; the call task is closed.
    assert run_loanwatch(monkeypatch, "collections", "promises", "record", "L2@2024-02-15",
                         "--amount", "11.00", "--by", "2024-02-20", "--made-on",
                         "2024-02-16", "--actor", "bo", "--json") == 0
    assert _json(capsys)["replayed"] is False
    assert run_loanwatch(monkeypatch, "collections", "tasks", "list", "--json") == 0
    task = next(t for t in _json(capsys) if t["case"] == "L2@2024-02-15")
    assert run_loanwatch(monkeypatch, "collections", "tasks", "done", str(task["id"]),
                         "--outcome", "promised 11.00 by 02-20", "--actor", "bo") == 0
    assert "done by bo" in capsys.readouterr().out

    # Nothing is paid: the promise breaks on 02-21 and the case is escalated.
    assert run_loanwatch(monkeypatch, "collections", "strategies", "run", "--as-of",
                         "2024-02-21", "--json") == 0
    assert _json(capsys)["promises"] == {"kept": 0, "broken": 1}
    assert run_loanwatch(monkeypatch, "collections", "promises", "list", "--status",
                         "broken") == 0
    assert "L2@2024-02-15" in capsys.readouterr().out
    assert run_loanwatch(monkeypatch, "collections", "strategies", "report", "--as-of",
                         "2024-02-21", "--json") == 0
    (firm,) = _json(capsys)["strategies"]
    assert (firm["cases"], firm["cure_rate"], firm["promises"]) == (2, 0.0, {"broken": 1})
    assert run_loanwatch(monkeypatch, "collections", "strategies", "report", "--as-of",
                         "2024-02-21") == 0
    assert "firm" in capsys.readouterr().out
    with database.connect() as connection:
        logged = dict(connection.execute(text(
            "SELECT operation, count(*) FROM audit_log GROUP BY operation")).all())
    assert logged["collections promise recorded"] == 1
    assert logged["collections task done"] == 1
    assert logged["collections contact preference"] == 1
    assert logged["collections case escalated"] == 1


def test_errors_name_the_problem(database: Engine, tmp_path: Path,
                                 monkeypatch: pytest.MonkeyPatch,
                                 capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("strategies:\n  a:\n    steps:\n      - {action: fax, day: 1}\n")
    assert run_loanwatch(monkeypatch, "collections", "strategies", "check", str(bad)) == 1
    err = capsys.readouterr().err
    assert f"{bad}:4: strategies.a.steps[0].action: unknown action 'fax'" in err
    assert "Traceback" not in err
    assert run_loanwatch(monkeypatch, "collections", "strategies", "run", "--strategies",
                         str(bad)) == 1
    assert "unknown action 'fax'" in capsys.readouterr().err
    assert run_loanwatch(monkeypatch, "collections", "promises", "record", "L9@2024-01-01",
                         "--amount", "5", "--by", "2024-02-01", "--made-on",
                         "2024-01-20") == 1
    assert "no collection case 'L9@2024-01-01'" in capsys.readouterr().err
    assert run_loanwatch(monkeypatch, "collections", "promises", "record", "L9@2024-01-01",
                         "--amount", "five", "--by", "2024-02-01") == 1
    assert "--amount 'five' is not an amount" in capsys.readouterr().err
    assert run_loanwatch(monkeypatch, "collections", "contact", "set", "P1", "--prefer",
                         "fax") == 1
    assert "unknown channel 'fax'" in capsys.readouterr().err
    assert run_loanwatch(monkeypatch, "collections", "tasks", "done", "99", "--outcome",
                         "x") == 1
    assert "no collection action 99" in capsys.readouterr().err
    good = tmp_path / "good.yaml"
    good.write_text(STRATEGIES)
    assert run_loanwatch(monkeypatch, "collections", "strategies", "check", str(good)) == 0
    assert "firm: sms opened+0d, call_task opened+0d" in capsys.readouterr().out
