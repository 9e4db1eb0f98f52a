"""``loanwatch notifications list|retry|deliver`` in-process on a SQLite database of its
own, against a real HTTP gateway; errors are one clear line, and a retry is audited."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine

from auth.audit_events import AuditAction
from auth.audit_store import list_records
from loanwatch.settings import Settings
from loanwatch.wiring import open_vault
from tests.command_line import command_line_database, run_loanwatch
from tests.notifications.delivery_setup import contacts_graph, queue
from tests.notifications.servers import gateway


@pytest.fixture
def engine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Engine:
    engine = command_line_database(tmp_path, monkeypatch)
    contacts_graph(engine, open_vault(Settings.from_environ())).close()
    queue(engine, "reminder:L1", channel="sms", not_before=datetime.now(UTC))
    return engine


def test_deliver_list_and_retry_a_dead_notification(
        engine: Engine, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    with gateway(400) as refusing:
        monkeypatch.setenv("LOANWATCH_NOTIFY_SMS_GATEWAY_URL", refusing.url)
        assert run_loanwatch(monkeypatch, "notifications", "deliver") == 0
    assert "0 sent, 0 to retry, 1 dead" in capsys.readouterr().out
    assert run_loanwatch(monkeypatch, "notifications", "list", "--status", "dead",
                         "--json") == 0
    [shown] = json.loads(capsys.readouterr().out)
    assert (shown["id"], shown["status"], shown["attempts"], shown["key"]) == (
        1, "dead", 1, "reminder:L1")
    assert "answered 400" in shown["last_error"]
    assert "sent_to" not in shown and "claim_token" not in shown

    assert run_loanwatch(monkeypatch, "notifications", "retry", "1") == 0
    assert "notification 1 (reminder:L1) is pending again" in capsys.readouterr().out
    [entry] = [e for e in list_records(engine, action=AuditAction.CHANGE)
               if e.operation == "notifications retry"]
    assert entry.targets == ("notification:1",)

    with gateway() as working:
        monkeypatch.setenv("LOANWATCH_NOTIFY_SMS_GATEWAY_URL", working.url)
        assert run_loanwatch(monkeypatch, "notifications", "deliver") == 0
    assert "1 sent, 0 to retry, 0 dead" in capsys.readouterr().out
    assert len(working.requests) == 1
    assert run_loanwatch(monkeypatch, "notifications", "list") == 0
    table = capsys.readouterr().out
    assert "reminder:L1" in table and "sent" in table


def test_bad_input_is_one_clear_line(engine: Engine, monkeypatch: pytest.MonkeyPatch,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    assert run_loanwatch(monkeypatch, "notifications", "retry", "1") == 1
    err = capsys.readouterr().err
    assert "notification 1 is pending: only a failed or dead one" in err
    assert "Traceback" not in err
    assert run_loanwatch(monkeypatch, "notifications", "retry", "99") == 1
    assert "no notification with id 99" in capsys.readouterr().err
    assert run_loanwatch(monkeypatch, "notifications", "list", "--status", "lost") == 1
    assert "unknown notification status 'lost'" in capsys.readouterr().err
    monkeypatch.setenv("LOANWATCH_NOTIFY_SMS_GATEWAY_URL", "ftp://gateway")
    assert run_loanwatch(monkeypatch, "notifications", "deliver") == 1
    assert "LOANWATCH_NOTIFY_SMS_GATEWAY_URL: Value error, not an http" in (
        capsys.readouterr().err)
