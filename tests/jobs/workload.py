"""Jobs the job tests run, in the test process and in real worker processes
(``loanwatch worker --jobs-module tests.jobs.workload``).

Each writes its effect into ``test_effect`` (no unique constraint: a doubled effect would
show as two rows) through the unit's transaction, so the tests count effects in SQL.
"""

from __future__ import annotations

import time
from typing import Final

from sqlalchemy import Column, Integer, MetaData, String, Table, select

from jobs.catalog import JobSpec
from jobs.errors import JobPayloadError
from jobs.runtime import JobContext
from jobs.schedules import ScheduleSpec
from jobs.units import UNIT
from loanwatch.errors import BackendUnavailable

__all__ = ["EFFECTS", "JOBS", "QUEUE", "RECORD", "SCHEDULES", "TRANSIENT", "metadata"]

QUEUE: Final = "loanwatch_test"
RECORD: Final = "test_record"
TRANSIENT: Final = "test_transient"

metadata = MetaData()
EFFECTS: Final = Table("test_effect", metadata,
                       Column("id", Integer, primary_key=True, autoincrement=True),
                       Column("unit_key", String(255), nullable=False),
                       Column("label", String(255), nullable=False))


def record(context: JobContext, label: object, sleep_s: float = 0.0,
           tick: str | None = None) -> None:
    """Write one effect row (after ``sleep_s``); refuse a label that is not text (a
    malformed payload). ``tick`` is the schedule's tick when a schedule made the unit."""
    if not isinstance(label, str):
        raise JobPayloadError(f"{RECORD}: label must be text, got {label!r}")
    assert context.connection is not None
    if sleep_s:
        time.sleep(sleep_s)
    context.connection.execute(EFFECTS.insert().values(unit_key=context.key, label=label))


def transient(context: JobContext, failures: int) -> None:
    """Fail with a transient fault on the first ``failures`` attempts, then write."""
    assert context.connection is not None
    attempts = context.connection.execute(
        select(UNIT.c.attempts).where(UNIT.c.key == context.key)).scalar_one()
    if attempts <= failures:
        raise BackendUnavailable("the test service", "nowhere", f"attempt {attempts} fails")
    context.connection.execute(EFFECTS.insert().values(unit_key=context.key, label="ok"))


JOBS: Final = (JobSpec(RECORD, QUEUE, record), JobSpec(TRANSIENT, QUEUE, transient))
SCHEDULES: Final[tuple[ScheduleSpec, ...]] = ()
