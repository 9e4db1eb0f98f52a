"""``loanwatch disposals propose|approve|reject|list|show`` as users run them, on a SQLite
database: who proposes and who decides sign in with their password, the proposer cannot
approve, the approval applies the new schedule, the audit trail names both, and bad input
is one clear line."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import pytest
from sqlalchemy import Engine

from auth.audit_events import AuditAction
from auth.audit_store import list_records
from auth.principal import Role
from auth.users import UserStore
from tests.auth.oauth_fixtures import CHEAP_PASSWORDS
from tests.command_line import command_line_database, run_loanwatch
from tests.risk.disposals.loans import LOAN, add_annuity_loan, installments

PASSWORD = "correct horse battery"


@pytest.fixture
def engine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Engine:
    engine = command_line_database(tmp_path, monkeypatch)
    add_annuity_loan(engine)
    users = UserStore(engine, CHEAP_PASSWORDS)
    users.create("cole", Role.COLLECTOR, PASSWORD)
    users.create("mona", Role.MANAGER, PASSWORD)
    return engine


def _as(monkeypatch: pytest.MonkeyPatch, password: str = PASSWORD) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO(password + "\n"))


def _json(capsys: pytest.CaptureFixture[str]) -> dict:
    return json.loads(capsys.readouterr().out)


def test_propose_approve_show_and_list(engine: Engine, monkeypatch: pytest.MonkeyPatch,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    before = installments(engine)
    _as(monkeypatch)
    assert run_loanwatch(monkeypatch, "disposals", "propose", LOAN, "--kind",
                         "term_extension", "--effective-on", "2026-07-01", "--extend-by", "3",
                         "--reason", "lost a customer", "--as", "cole", "--password-stdin",
                         "--event-id", "ev-1", "--json") == 0
    proposed = _json(capsys)
    assert (proposed["state"], proposed["proposed_by"], proposed["replayed"]) == (
        "proposed", "cole", False)
    assert len(proposed["plan"]["schedule"]) == 10
    _as(monkeypatch)
    assert run_loanwatch(monkeypatch, "disposals", "propose", LOAN, "--kind",
                         "term_extension", "--effective-on", "2026-07-01", "--extend-by", "3",
                         "--reason", "lost a customer", "--as", "cole", "--password-stdin",
                         "--event-id", "ev-1") == 0
    replayed = capsys.readouterr().out
    assert "already recorded under this event id" in replayed
    assert "2027-04-15" in replayed and "757.38 CNY" in replayed  # the last installment
    assert installments(engine) == before

    _as(monkeypatch)
    assert run_loanwatch(monkeypatch, "disposals", "approve", str(proposed["id"]), "--reason",
                         "mine", "--as", "cole", "--password-stdin") == 1
    assert "cole is a collector: approving a disposal needs the right approve-disposal" in \
        capsys.readouterr().err
    _as(monkeypatch, "wrong password!")
    assert run_loanwatch(monkeypatch, "disposals", "approve", str(proposed["id"]), "--reason",
                         "ok", "--as", "mona", "--password-stdin") == 1
    assert "--as 'mona': wrong login or password" in capsys.readouterr().err
    _as(monkeypatch)
    assert run_loanwatch(monkeypatch, "disposals", "approve", str(proposed["id"]), "--reason",
                         "agreed at the committee", "--as", "mona", "--password-stdin") == 0
    assert f"disposal {proposed['id']}: term extension of loan {LOAN}, approved" in \
        capsys.readouterr().out
    assert len(installments(engine)) == 15

    assert run_loanwatch(monkeypatch, "disposals", "show", str(proposed["id"]), "--json") == 0
    shown = _json(capsys)
    assert [h["event"] for h in shown["history"]] == ["proposed", "approved"]
    assert shown["outcome"]["installments_written"] == 10
    assert run_loanwatch(monkeypatch, "disposals", "show", str(proposed["id"])) == 0
    text = capsys.readouterr().out
    assert "the new schedule from 2026-07-01" in text and "mona" in text
    assert run_loanwatch(monkeypatch, "disposals", "list", "--loan", LOAN) == 0
    listed = capsys.readouterr().out
    assert "1 disposal(s)" in listed and "term_extension" in listed and "mona" in listed
    assert run_loanwatch(monkeypatch, "disposals", "list", "--state", "approved",
                         "--json") == 0
    assert [d["id"] for d in _json(capsys)["disposals"]] == [proposed["id"]]
    changes = [r for r in list_records(engine) if r.action == AuditAction.CHANGE]
    assert sorted((r.operation, r.user) for r in changes) == [
        ("disposals approve", "mona"), ("disposals propose", "cole")]


def test_reject_and_bad_input(engine: Engine, monkeypatch: pytest.MonkeyPatch,
                              capsys: pytest.CaptureFixture[str]) -> None:
    _as(monkeypatch)
    assert run_loanwatch(monkeypatch, "disposals", "propose", LOAN, "--kind", "write_off",
                         "--effective-on", "2026-07-01", "--extend-by", "2", "--reason", "x",
                         "--as", "cole", "--password-stdin") == 1
    assert "--extend-by: a write_off does not take extend_by" in capsys.readouterr().err
    _as(monkeypatch)
    assert run_loanwatch(monkeypatch, "disposals", "propose", LOAN, "--kind", "write_off",
                         "--effective-on", "2026-07-01", "--amount", "12.345", "--reason",
                         "x", "--as", "cole", "--password-stdin") == 1
    assert "--amount: 12.345 has more than the 2 decimal(s) of CNY" in capsys.readouterr().err
    _as(monkeypatch)
    assert run_loanwatch(monkeypatch, "disposals", "propose", LOAN, "--kind", "write_off",
                         "--effective-on", "July", "--reason", "x", "--as", "cole",
                         "--password-stdin") == 1
    assert "--effective-on 'July' is not a date" in capsys.readouterr().err
    _as(monkeypatch)
    assert run_loanwatch(monkeypatch, "disposals", "propose", LOAN, "--kind", "write_off",
                         "--effective-on", "2026-07-01", "--reason", "fraud", "--as", "mona",
                         "--password-stdin", "--json") == 0
    proposed = _json(capsys)
    _as(monkeypatch)
    assert run_loanwatch(monkeypatch, "disposals", "reject", str(proposed["id"]), "--reason",
                         "self", "--as", "mona", "--password-stdin") == 1
    assert "another person must reject it (maker-checker)" in capsys.readouterr().err
    assert run_loanwatch(monkeypatch, "disposals", "show", "77") == 1
    assert "no disposal with id 77" in capsys.readouterr().err
