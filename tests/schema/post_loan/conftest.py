"""The post-loan world the GraphQL tests read: the writes tests' tiny portfolio (loan L1
of company C1, guaranteed by P1) on every backend pairing, with its collections history
(the daily run of 2025-02-20, when L1 fell 5 days behind and a case opened, caught up to
2025-03-20, when it moved to 31-60), four reviews of L1, and the jobs' tables filled."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import Engine, insert

from jobs.dead_letters import DeadLetterEntry, record_dead_letter
from jobs.schedules import ScheduleSpec, ensure_schedules
from jobs.units import UnitSpec, add_units
from portfolio.reviews import ReviewRecord
from risk.collections.run import run_collections
from tests.ingest.importing import import_files, write
from tests.principals import ListAuditSink
from tests.writes.conftest import Stores, postgres_engine, stores

__all__ = ["T0", "given_dead_letter", "given_reviews", "postgres_engine", "stores", "world"]

T0 = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
CASE_ID = "L1@2025-02-20"


def given_reviews(engine: Engine) -> list[int]:
    """Four reviews of L1: three pending (two proposed by the system, one by the manager's
    user), one closed; their ids in that order."""
    rows = [("2025-03-01", "periodic", "pending", "system"),
            ("2025-03-02", "triggered", "pending", "manager-user"),
            ("2025-03-03", "periodic", "pending", "system"),
            ("2025-02-01", "periodic", "closed", "system")]
    ids = []
    with engine.begin() as connection:
        for as_of, kind, status, by in rows:
            ids.append(connection.execute(insert(ReviewRecord.__table__).values(  # type: ignore[attr-defined]
                loan_id="L1", as_of=date.fromisoformat(as_of), kind=kind,
                trigger={"alert": 7} if kind == "triggered" else None, borrower_id="C1",
                status=status, tier="substandard", stage=2, pd=0.12, currency="CNY",
                exposure_minor=int(Decimal("420000.50") * 100), ecl_minor=1_234_56,
                route=[{"rule": "downgrade", "text": "tier fell"}] if status == "pending"
                else [], inputs={"loan": {"id": "L1"}}, outputs={"tier": "substandard"},
                models={"pd": "gbm-1"}, next_review=date(2025, 4, 1), proposed_by=by,
                created_at=T0)).inserted_primary_key[0])
    return ids


def given_dead_letter(engine: Engine, key: str = "reviews@2025-03-01/0") -> None:
    """A unit of work and its message dead-lettered (with a schedule beside it)."""
    add_units(engine, [UnitSpec(key=key, actor_name="reviews.run_batch", queue_name="reviews",
                                due_at=T0, args=("2025-03-01",))], now=T0)
    record_dead_letter(engine, DeadLetterEntry(
        message_id=f"m-{key}"[:64], queue_name="reviews", actor_name="reviews.run_batch",
        args=(key, "2025-03-01"), kwargs={}, idempotency_key=key,
        error_class="ValueError", error_message="bad batch", attempts=3, enqueued_at=T0,
        failed_at=T0))
    ensure_schedules(engine, [ScheduleSpec(name="collections.daily",
                                           actor_name="collections.run_day",
                                           queue_name="collections", interval_s=86_400,
                                           first_due_at=T0)])


def given_schedule(stores: Stores, folder: Path) -> None:
    """L1's first three monthly installments, none paid."""
    folder.mkdir()
    write(folder, "installments.csv", """
        loan_id,seq,due_on,principal_due,interest_due
        L1,1,2025-02-15,40000.00,2000.00
        L1,2,2025-03-15,40000.00,1800.00
        L1,3,2025-04-15,40000.00,1600.00
        """)
    report = import_files([folder], graph=stores.graph, engine=stores.engine)
    assert report.rows_rejected == 0, report.rejects


@pytest.fixture
def world(stores: Stores, tmp_path: Path) -> Iterator[Stores]:
    """The tiny portfolio with its collections history, reviews and jobs."""
    given_schedule(stores, tmp_path / "schedule")
    trail = ListAuditSink()
    run_collections(stores.engine, date(2025, 2, 20), audit=trail)
    run_collections(stores.engine, date(2025, 3, 20), audit=trail)
    given_reviews(stores.engine)
    given_dead_letter(stores.engine)
    yield stores
