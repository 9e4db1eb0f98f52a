"""Which running batches a new import takes for interrupted, and which it leaves alone."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import psutil
from sqlalchemy import Engine, insert

from ingest.liveness import find_interrupted, process_alive
from ingest.sql_records import RecordWriter
from portfolio.imports import ImportBatch
from tests.ingest.importing import rows_of

HOST = "this-host"


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def _running(engine: Engine, *, pid: int, hostname: str, started_at: datetime,
             heartbeat_at: datetime) -> int:
    with engine.begin() as connection:
        result = connection.execute(insert(ImportBatch.__table__).values(  # type: ignore[attr-defined]
            started_at=started_at, status="running", files=["persons.csv"], counts={},
            rows_read=10, rows_imported=8, rows_rejected=2, pid=pid, hostname=hostname,
            heartbeat_at=heartbeat_at))
        return int(result.inserted_primary_key[0])


def test_dead_or_silent_batches_are_interrupted_and_live_ones_left(sqlite_engine: Engine) -> None:
    now = datetime(2026, 12, 1, 12, tzinfo=UTC)
    me = psutil.Process(os.getpid())
    born = datetime.fromtimestamp(me.create_time(), UTC)
    recent, old = now - timedelta(minutes=1), now - timedelta(hours=2)
    alive = _running(sqlite_engine, pid=os.getpid(), hostname=HOST, started_at=born,
                     heartbeat_at=recent)
    dead = _running(sqlite_engine, pid=_dead_pid(), hostname=HOST, started_at=born,
                    heartbeat_at=recent)
    elsewhere_recent = _running(sqlite_engine, pid=1, hostname="other", started_at=recent,
                                heartbeat_at=recent)
    elsewhere_silent = _running(sqlite_engine, pid=1, hostname="other", started_at=old,
                                heartbeat_at=old)

    found = find_interrupted(RecordWriter(sqlite_engine), hostname=HOST, now=now,
                             stale_after=timedelta(minutes=30))

    assert [(b.batch_id, b.rows_imported, b.files) for b in found] == [
        (dead, 8, ["persons.csv"]), (elsewhere_silent, 8, ["persons.csv"])]
    assert "ended without finishing it" in found[0].reason
    assert "no sign of life from process 1 on other since 2026-12-01T10:00:00" in found[1].reason
    assert rows_of(sqlite_engine, "SELECT id, status FROM import_batch ORDER BY id") == [
        (alive, "running"), (dead, "interrupted"), (elsewhere_recent, "running"),
        (elsewhere_silent, "interrupted")]
    # Found once: the next import finds nothing more.
    assert find_interrupted(RecordWriter(sqlite_engine), hostname=HOST, now=now) == []


def test_a_pid_reused_by_a_younger_process_is_not_the_batch_s() -> None:
    me = psutil.Process(os.getpid())
    born = datetime.fromtimestamp(me.create_time(), UTC)
    assert process_alive(os.getpid(), born)
    assert not process_alive(os.getpid(), born - timedelta(hours=1))
    assert not process_alive(_dead_pid(), born)
