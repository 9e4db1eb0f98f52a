"""Housekeeping as a job: every day, the units of work done more than
``LOANWATCH_JOB_UNIT_RETENTION_DAYS`` ago are deleted (:func:`jobs.units.purge_done_units`).

Every job leaves a unit row; the outbox's delivery alone leaves one every 30 seconds, some
2,900 a day. A done unit only answers a message delivered again, and no message older than
the job age limit runs, so past the retention the row is history; what the jobs did stays
in their own records (reviews, cases, alerts, the audit trail). The pass deletes in batches,
each its own transaction, and its own unit is marked done after (not atomic): run twice, the
second pass finds nothing older to delete.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Final

from jobs.catalog import JobSpec
from jobs.errors import JobPayloadError
from jobs.runtime import JobContext
from jobs.schedules import ScheduleSpec
from jobs.units import purge_done_units

__all__ = ["HOUSEKEEPING_QUEUE", "JOBS", "PURGE_UNITS", "RETENTION_DAYS", "SCHEDULES"]

logger = logging.getLogger(__name__)

PURGE_UNITS: Final = "purge_job_units"
HOUSEKEEPING_QUEUE: Final = "housekeeping"
#: The runtime value with the days a done unit is kept (``LOANWATCH_JOB_UNIT_RETENTION_DAYS``).
RETENTION_DAYS: Final = "job_unit_retention_days"
DEFAULT_RETENTION_DAYS: Final = 30
#: The first tick: a quiet hour, UTC (ticks follow daily).
_FIRST_TICK: Final = datetime(2026, 1, 1, 2, 30, tzinfo=UTC)


def purge_job_units(context: JobContext, *tick: object) -> None:
    """Delete the units done before the retention (``tick``: the schedule's, ISO 8601)."""
    if len(tick) > 1 or any(not isinstance(value, str) for value in tick):
        raise JobPayloadError(f"{PURGE_UNITS}: expected at most one tick (text), "
                              f"got {list(tick)!r:.200}")
    days = context.runtime.values.get(RETENTION_DAYS, DEFAULT_RETENTION_DAYS)
    if not isinstance(days, int) or isinstance(days, bool) or days < 1:
        raise JobPayloadError(f"{RETENTION_DAYS} must be a positive number of days, "
                              f"got {days!r}")
    before = context.runtime.clock() - timedelta(days=days)
    gone = purge_done_units(context.runtime.engine, finished_before=before)
    logger.info("housekeeping: %d units of work done before %s deleted", gone,
                before.isoformat(), extra={"fields": {"unit": context.key, "deleted": gone}})


JOBS: Final = (JobSpec(PURGE_UNITS, HOUSEKEEPING_QUEUE, purge_job_units, atomic=False),)
SCHEDULES: Final = (ScheduleSpec("jobs.purge_units", PURGE_UNITS, HOUSEKEEPING_QUEUE,
                                 interval_s=86_400, first_due_at=_FIRST_TICK),)
