"""``loanwatch rules check`` and ``loanwatch alerts ...``: tables, JSON, exit codes, and
errors as one line with no traceback."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import Engine, func
from sqlmodel import Session, select

from graph.stores.embedded import EmbeddedGraphStore
from loanwatch.migrations import migrate
from portfolio.alerts import Alert, AlertEvent
from portfolio.database import create_sql_engine
from portfolio.loans import Loan
from tests.command_line import run_loanwatch as run
from tests.risk.rules.hand_data import build_portfolio
from tests.risk.rules.stores import Stores

BAD_RULES = """\
rules:
  - id: dpd
    signal: days_past_due
    severity: high
    description: d
    min_days: -3
  - id: dpd
    signal: sentiment
    severity: low
    description: d
"""


@pytest.fixture
def engine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    """The database the commands use: a SQLite file holding the hand portfolio."""
    for name in list(os.environ):
        if name.startswith("LOANWATCH_"):
            monkeypatch.delenv(name)
    url = f"sqlite:///{tmp_path / 'lw.db'}"
    monkeypatch.setenv("LOANWATCH_DATABASE_URL", url)
    monkeypatch.setenv("COLUMNS", "200")
    engine = create_sql_engine(url)
    migrate(engine)
    build_portfolio(Stores(engine, EmbeddedGraphStore(engine)))
    with Session(engine) as session, session.begin():
        session.add(Loan(id="L1", borrower_id="C1", product="wc", principal_minor=60_000,
                         currency="CNY", annual_rate=Decimal("0.05"), term_months=24,
                         disbursed_on=date(2024, 1, 1), maturity_on=date(2026, 1, 1),
                         repayment_method="annuity"))
    yield engine
    engine.dispose()


def _alerts(engine: Engine) -> tuple[int, int]:
    with Session(engine) as session:
        return (session.exec(select(func.count()).select_from(Alert)).one(),
                session.exec(select(func.count()).select_from(AlertEvent)).one())


def test_rules_check_prints_the_default_rules(monkeypatch: pytest.MonkeyPatch,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    assert run(monkeypatch, "rules", "check") == 0
    out = capsys.readouterr().out
    assert "14 rules, 14 enabled" in out
    assert "dpd-30" in out and "min_days=30" in out
    assert "pd-high, pd-rising: validated; evaluated when a production PD model exists" in out


def test_rules_check_of_a_bad_file_exits_1_naming_each_problem(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("COLUMNS", "300")
    path = tmp_path / "bad.yaml"
    path.write_text(BAD_RULES)
    assert run(monkeypatch, "rules", "check", str(path)) == 1
    err = capsys.readouterr().err
    assert f"{path}:6: rule 'dpd' field 'min_days': Input should be greater than" in err
    assert f"{path}:7: rule 'dpd' field 'id': duplicate rule id; first defined on line 2" in err
    assert f"{path}:8: rule 'dpd' field 'signal': unknown signal 'sentiment'" in err
    assert "Traceback" not in err


def test_a_bad_rules_file_stores_nothing(engine: Engine, tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(BAD_RULES)
    assert run(monkeypatch, "alerts", "run", "--rules", str(path), "--as-of",
               "2025-03-31") == 1
    assert "3 problems in the rules file" in capsys.readouterr().err
    assert _alerts(engine) == (0, 0)


def test_an_as_of_date_before_any_data_is_refused(engine: Engine,
                                                  monkeypatch: pytest.MonkeyPatch,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    assert run(monkeypatch, "alerts", "run", "--as-of", "2020-01-01") == 1
    err = capsys.readouterr().err
    assert "as-of date 2020-01-01 is before any data: the first loan was disbursed on " \
           "2024-01-01" in err
    assert _alerts(engine) == (0, 0)


def test_alerts_run_stores_reports_and_deduplicates(engine: Engine,
                                                    monkeypatch: pytest.MonkeyPatch,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    assert run(monkeypatch, "alerts", "run", "--as-of", "2025-03-31", "--json",
               "--actor", "night-batch") == 0
    first = json.loads(capsys.readouterr().out)
    raised = {(a["rule_id"], a["subject_id"]) for a in first["raised"]}
    assert {("court-case", "C1"), ("bureau-drop-80", "P1"), ("inflow-drop-50", "C1"),
            ("guarantor-overextended", "P1"), ("sector-concentration", "sector:C13")} <= raised
    skipped = {s["rule_id"]: s["reason"] for s in first["skipped"]}
    assert "no production PD model" in skipped["pd-high"]
    assert "no production PD model" in skipped["pd-rising"]
    # The repayment history answers the delinquency rules: they run, they are not skipped.
    assert not {"dpd-30", "dpd-90", "missed-2-in-6", "related-default-2"} & set(skipped)
    assert {"dpd-30", "dpd-90", "missed-2-in-6", "related-default-2"} <= set(first["evaluated"])
    court = next(a for a in first["raised"] if a["rule_id"] == "court-case")
    assert court["evidence"]["edges"][0] == {"type": "MENTIONED_IN", "source": "C1",
                                             "target": "E1", "key": ""}

    assert run(monkeypatch, "alerts", "run", "--as-of", "2025-03-31") == 0
    out = capsys.readouterr().out
    assert f"0 raised, 0 escalated, 0 updated, {len(raised)} unchanged, 0 cooled down" in out
    assert "skipped pd-high (pd_threshold): no PD scores: no production PD model" in out
    assert _alerts(engine) == (len(raised), len(raised))


def test_alerts_are_worked_from_the_command_line(engine: Engine,
                                                 monkeypatch: pytest.MonkeyPatch,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    assert run(monkeypatch, "alerts", "run", "--as-of", "2025-03-31", "--json") == 0
    court = next(a for a in json.loads(capsys.readouterr().out)["raised"]
                 if a["rule_id"] == "court-case")
    alert_id = str(court["alert_id"])
    assert run(monkeypatch, "alerts", "ack", alert_id, "--actor", "ana") == 0
    assert run(monkeypatch, "alerts", "assign", alert_id, "--to", "bo", "--actor", "ana",
               "--note", "visit them") == 0
    assert run(monkeypatch, "alerts", "resolve", alert_id, "--actor", "bo") == 0
    assert f"alert {alert_id} is now resolved" in capsys.readouterr().out

    assert run(monkeypatch, "alerts", "resolve", alert_id, "--actor", "bo") == 1
    err = capsys.readouterr().err
    assert f"error: alert {alert_id} is resolved: cannot resolve it" in err
    assert "Traceback" not in err

    assert run(monkeypatch, "alerts", "list", "--status", "resolved", "--json") == 0
    [listed] = json.loads(capsys.readouterr().out)["alerts"]
    assert (listed["id"], listed["assignee"], listed["status"]) == (int(alert_id), "bo",
                                                                    "resolved")
    assert run(monkeypatch, "alerts", "show", alert_id, "--json") == 0
    shown = json.loads(capsys.readouterr().out)
    assert [(e["actor"], e["action"]) for e in shown["history"]] == [
        (shown["history"][0]["actor"], "raised"), ("ana", "acknowledged"), ("ana", "assigned"),
        ("bo", "resolved")]
    assert run(monkeypatch, "alerts", "list") == 0
    assert "court-case" in capsys.readouterr().out
    assert run(monkeypatch, "alerts", "ack", "999") == 1
    assert "error: no alert with id 999" in capsys.readouterr().err
