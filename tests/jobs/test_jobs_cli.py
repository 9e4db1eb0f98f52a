"""``loanwatch jobs``: dead letters listed with their error, shown whole, retried once,
discarded; units counted by state; and ``loanwatch worker`` refusing to start without a
broker."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from typer.testing import CliRunner

from auth.audit_records import AuditLogRow
from jobs.dead_letters import DeadLetterEntry, get_dead_letter, record_dead_letter
from jobs.units import UnitSpec, add_units, get_unit
from loanwatch.cli.main import app
from tests.command_line import command_line_database, run_loanwatch
from tests.jobs import workload

NOW = datetime(2026, 12, 2, 3, 0, tzinfo=UTC)
AUDIT = AuditLogRow.__table__  # type: ignore[attr-defined]


@pytest.fixture
def engine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Engine:
    engine = command_line_database(tmp_path, monkeypatch)
    add_units(engine, [UnitSpec("u1", workload.RECORD, workload.QUEUE, NOW, (7,))], now=NOW)
    record_dead_letter(engine, DeadLetterEntry(
        message_id="m-1", queue_name=workload.QUEUE, actor_name=workload.RECORD,
        args=("u1", 7), kwargs={}, idempotency_key="u1", error_class="JobPayloadError",
        error_message="test_record: label must be text, got 7", attempts=1, enqueued_at=NOW,
        failed_at=NOW))
    return engine


def test_jobs_list_show_and_discard(engine: Engine, monkeypatch: pytest.MonkeyPatch,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    runner = CliRunner()
    listed = runner.invoke(app, ["jobs", "list"])
    assert listed.exit_code == 0, listed.output
    assert "test_record" in listed.output and "JobPayloadError: test_record: label" in \
        listed.output
    shown = runner.invoke(app, ["jobs", "show", "1"])
    assert shown.exit_code == 0, shown.output
    letter = json.loads(shown.output)
    assert (letter["args"], letter["idempotency_key"], letter["state"]) == (["u1", 7], "u1",
                                                                            "dead")
    discarded = runner.invoke(app, ["jobs", "discard", "1"])
    assert discarded.exit_code == 0 and "dead letter 1 discarded" in discarded.output
    assert get_dead_letter(engine, 1).resolved_by.startswith("cli:")  # type: ignore[union-attr]
    with engine.connect() as connection:
        [(operation, targets)] = connection.execute(
            select(AUDIT.c.operation, AUDIT.c.targets)).all()
    assert operation == "jobs discard" and "dead-letter:1" in str(targets)
    capsys.readouterr()
    assert run_loanwatch(monkeypatch, "jobs", "discard", "1") == 1
    assert "was discarded already by cli:" in capsys.readouterr().err
    assert run_loanwatch(monkeypatch, "jobs", "show", "42") == 1
    missing = capsys.readouterr().err
    assert "no dead letter with id 42" in missing and "Traceback" not in missing
    assert json.loads(runner.invoke(app, ["jobs", "list", "--json"]).output) == []


def test_jobs_retry_without_a_broker_makes_the_unit_pending(engine: Engine) -> None:
    runner = CliRunner()
    retried = runner.invoke(app, ["jobs", "retry", "1"])
    assert retried.exit_code == 0, retried.output
    assert "unit u1 is pending again" in retried.output
    assert get_unit(engine, "u1").state == "pending"  # type: ignore[union-attr]
    units = runner.invoke(app, ["jobs", "units"])
    assert "pending: 1" in units.output and "failed: 0" in units.output


def test_the_worker_needs_a_broker(engine: Engine, monkeypatch: pytest.MonkeyPatch,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    assert run_loanwatch(monkeypatch, "worker") == 1
    assert "loanwatch worker needs a broker: LOANWATCH_BROKER_URL is not set" in \
        capsys.readouterr().err
