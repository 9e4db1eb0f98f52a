"""The audit trail as a sink, on SQLite and PostgreSQL: every accepted event lands, in the
order accepted, chained; requests never wait on the database; the table refuses changes."""

from __future__ import annotations

import threading
from collections import defaultdict
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError

from auth.audit_heads import read_heads, signature_holds
from auth.audit_store import list_records
from auth.errors import AuditBacklogFull, AuditClosed
from loanwatch.migrations import migrate
from portfolio.database import create_sql_engine
from tests.audit.trails import SIGNER, count_rows, event, trail, verify
from tests.portfolio.databases import database, postgres_engine, sqlite_engine

__all__ = ["database", "postgres_engine", "sqlite_engine"]

THREADS = 8
PER_THREAD = 600


def test_thousands_of_concurrent_records_all_land_in_order_and_chained(
        database: Engine, tmp_path: Path) -> None:
    heads = tmp_path / "heads.jsonl"
    sink = trail(database, heads, batch_size=250)
    start = threading.Barrier(THREADS)

    def work(worker: int) -> None:
        start.wait()
        for i in range(PER_THREAD):
            sink.record(event(i, user=f"worker-{worker}", detail={"i": i}))

    workers = [threading.Thread(target=work, args=(n,)) for n in range(THREADS)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    sink.close()

    total = THREADS * PER_THREAD
    assert count_rows(database) == total
    records = list_records(database, limit=total + 1)
    assert [r.seq for r in records] == list(range(total, 0, -1))
    seen: dict[str, list[int]] = defaultdict(list)
    for record in reversed(records):
        seen[str(record.user)].append(int(record.detail["i"]))  # type: ignore[call-overload]
    assert seen == {f"worker-{n}": list(range(PER_THREAD)) for n in range(THREADS)}
    report = verify(database, heads)
    assert report.ok, report.problems[:3]
    assert (report.entries, report.last_seq, report.signed_up_to) == (total, total, total)


def test_two_trails_on_one_database_append_to_one_chain(database: Engine) -> None:
    # Two processes (uvicorn workers) each have a trail; their batches interleave.
    first, second = trail(database, batch_size=7), trail(database, batch_size=5)

    def work(sink: object, user: str) -> None:
        for i in range(300):
            sink.record(event(i, user=user))  # type: ignore[attr-defined]

    threads = [threading.Thread(target=work, args=(first, "a")),
               threading.Thread(target=work, args=(second, "b"))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    first.close()
    second.close()
    assert count_rows(database) == 600
    assert verify(database).ok


def test_records_wait_in_memory_while_the_table_is_locked(tmp_path: Path) -> None:
    engine = create_sql_engine(f"sqlite:///{tmp_path / 'lw.db'}")
    migrate(engine)
    sink = trail(engine)
    with engine.connect() as holder:
        holder.exec_driver_sql("BEGIN IMMEDIATE")  # another writer holds the database
        for i in range(50):
            sink.record(event(i))  # returns: nothing waits on the lock
        assert sink.pending == 50
        assert count_rows(engine) == 0
        holder.rollback()
    assert sink.flush(timeout_s=60)
    assert count_rows(engine) == 50
    sink.close()
    engine.dispose()


def test_a_batch_the_database_refuses_is_kept_and_written_later(tmp_path: Path) -> None:
    # The table does not exist yet: every write fails until the database is migrated.
    engine = create_sql_engine(f"sqlite:///{tmp_path / 'lw.db'}")
    sink = trail(engine)
    for i in range(20):
        sink.record(event(i))
    assert not sink.flush(timeout_s=0.5)
    assert sink.write_failures >= 1 and sink.pending == 20
    migrate(engine)
    assert sink.flush(timeout_s=60)
    sink.close()
    assert [r.request_id for r in reversed(list_records(engine))] == \
        [f"req-{i}" for i in range(20)]
    assert verify(engine).ok
    engine.dispose()


def test_a_full_backlog_refuses_the_event_instead_of_dropping_it(tmp_path: Path) -> None:
    engine = create_sql_engine(f"sqlite:///{tmp_path / 'lw.db'}")  # not migrated: no writes
    sink = trail(engine, max_pending=3)
    for i in range(3):
        sink.record(event(i))
    with pytest.raises(AuditBacklogFull, match="3 events waiting"):
        sink.record(event(3))
    migrate(engine)
    sink.close()
    assert count_rows(engine) == 3
    engine.dispose()


def test_a_closed_trail_accepts_nothing_and_closing_twice_is_harmless(
        sqlite_engine: Engine) -> None:
    sink = trail(sqlite_engine)
    sink.record(event(0))
    sink.close()
    sink.close()
    with pytest.raises(AuditClosed):
        sink.record(event(1))
    assert count_rows(sqlite_engine) == 1


def test_an_event_without_a_time_zone_is_refused_at_the_call(sqlite_engine: Engine) -> None:
    sink = trail(sqlite_engine)
    naive = event(0)
    naive = type(naive)(at=datetime(2026, 12, 1, 9, 0), action=naive.action,
                        client_id="c", user=None, operation="op")
    with pytest.raises(ValueError, match="no time zone"):
        sink.record(naive)
    sink.close()
    assert count_rows(sqlite_engine) == 0


def test_what_is_stored_is_what_was_recorded_then(sqlite_engine: Engine) -> None:
    detail: dict[str, object] = {"fields": ["name"], "when": datetime(2026, 1, 2)}
    sink = trail(sqlite_engine)
    sink.record(event(0, detail=detail, targets=("P1", 'odd"id%_'), user=None,
                      client_id="etl\x00partner"))
    detail["fields"] = ["changed after"]
    sink.close()
    (stored,) = list_records(sqlite_engine)
    assert stored.detail == {"fields": ["name"], "when": "2026-01-02T00:00:00"}
    assert stored.targets == ("P1", 'odd"id%_') and stored.user is None
    assert stored.client_id == "etl\\u0000partner"
    assert [r.seq for r in list_records(sqlite_engine, target='odd"id%_')] == [1]
    assert list_records(sqlite_engine, target="odd") == []


def test_heads_are_exported_signed_at_intervals_and_on_close(
        sqlite_engine: Engine, tmp_path: Path) -> None:
    heads = tmp_path / "heads.jsonl"
    sink = trail(sqlite_engine, heads, head_interval_s=1e-6)
    sink.record(event(0))
    assert sink.flush(timeout_s=30)
    sink.record(event(1))
    sink.close()
    lines = read_heads(heads)
    assert [line.head.seq for line in lines if line.head] == [1, 2]
    assert all(line.head and signature_holds(line.head, SIGNER.public_key) for line in lines)
    assert sink.head is not None and lines[-1].head and lines[-1].head.mac == sink.head.mac


def test_close_exports_the_final_head_signed_even_between_intervals(
        database: Engine, tmp_path: Path) -> None:
    heads = tmp_path / "heads.jsonl"
    sink = trail(database, heads, head_interval_s=3600.0)  # no interval falls in this test
    for i in range(3):
        sink.record(event(i))
    assert sink.flush(timeout_s=30)
    assert not heads.exists()  # written, not yet exported: the interval has not passed
    sink.record(event(3))

    sink.close()

    [line] = read_heads(heads)
    assert line.head is not None and line.head.seq == 4
    assert signature_holds(line.head, SIGNER.public_key)
    assert sink.head is not None and line.head.mac == sink.head.mac
    report = verify(database, heads)
    assert report.ok and report.signed_up_to == 4


def test_the_database_refuses_to_change_or_remove_an_entry(database: Engine) -> None:
    sink = trail(database)
    sink.record(event(0))
    sink.close()
    for statement in ("UPDATE audit_log SET user_login = 'mallory'",
                      "DELETE FROM audit_log"):
        with pytest.raises(DBAPIError, match="audit_log is append-only"), \
                database.begin() as connection:
            connection.execute(text(statement))
    if database.dialect.name == "postgresql":
        with pytest.raises(DBAPIError, match="audit_log is append-only"), \
                database.begin() as connection:
            connection.execute(text("TRUNCATE audit_log"))
    assert count_rows(database) == 1
