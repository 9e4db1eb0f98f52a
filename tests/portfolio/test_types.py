"""Timestamps come back aware, in UTC, from SQLite as from PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import StatementError
from sqlmodel import Session

from portfolio.imports import ImportBatch

SHANGHAI = timezone(timedelta(hours=8))


def test_an_aware_timestamp_comes_back_aware_in_utc(database: Engine) -> None:
    started = datetime(2026, 12, 1, 9, 30, 15, 123456, tzinfo=SHANGHAI)
    with Session(database) as session:
        batch = ImportBatch(started_at=started, finished_at=None)
        session.add(batch)
        session.commit()
        batch_id = batch.id

    with Session(database) as session:
        stored = session.get(ImportBatch, batch_id)
    assert stored is not None

    assert stored.started_at == started
    assert stored.started_at.tzinfo is UTC
    assert stored.started_at.hour == 1
    assert stored.finished_at is None


def test_sqlite_stores_the_utc_wall_time(sqlite_engine: Engine) -> None:
    with Session(sqlite_engine) as session:
        session.add(ImportBatch(started_at=datetime(2026, 1, 1, 8, tzinfo=SHANGHAI)))
        session.commit()
    with sqlite_engine.connect() as connection:
        raw = connection.execute(text("SELECT started_at FROM import_batch")).scalar_one()
    assert raw.startswith("2026-01-01 00:00:00")


def test_a_naive_timestamp_is_refused(database: Engine) -> None:
    with Session(database) as session:
        session.add(ImportBatch(started_at=datetime(2026, 1, 1, 8)))
        with pytest.raises(StatementError,
                           match="naive datetime 2026-01-01T08:00:00 has no time zone"):
            session.commit()
