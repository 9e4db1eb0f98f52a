"""The periodic reviews as jobs: a daily plan that cuts the due loans into batches, and a
job per batch.

Every day at :data:`PLAN_AT` (UTC) the schedule ``reviews.plan`` fires one unit (a day
missed during an outage fires once, for the latest tick: :mod:`jobs.schedules`). Its job,
:func:`plan_reviews`, runs **atomic**: in the unit's own transaction it reads which loans
are due on the business date (:func:`risk.reviews.schedule.due_review_batches`) and
creates one unit per batch, keyed ``reviews@DATE#NNNN`` (the date and the batch's number)
with the batch's loan ids as its arguments; the plan's unit is marked done in the same
commit. A plan delivered twice finds its unit done; a second plan of the same date (a fixed
business date, two ticks) finds the date's batches and creates none; a crash mid-plan
commits nothing. The scheduler then enqueues the batches as due work, at most
``LOANWATCH_SCHEDULER_BATCH`` per look.

:func:`review_batch` is **not atomic**: :func:`risk.reviews.review.run_reviews` writes the
batch's reviews in a transaction of its own, under the reviews' natural key ``(loan,
date, kind)`` (unique), and the unit is marked done after. A worker killed mid-batch
commits nothing of it, and the message comes back after the heartbeat window; a batch run
twice (a redelivery after the commit, before the unit was marked done) finds its reviews
stored and writes none. So every due review is written exactly once. The batch does not
share the unit's transaction because the service reads with connections of its own, which
on SQLite would wait for the unit's write lock.

Each worker process keeps the review policy (``LOANWATCH_REVIEW_POLICY_FILE``, else the
shipped one) and the basis of each date (:class:`risk.reviews.basis.BasisCache`), so the
portfolio-wide figures are read once per date per process, not once per batch.
"""

from __future__ import annotations

import threading
from datetime import datetime
from pathlib import Path
from typing import Any, Final

from jobs.business_dates import business_date, parse_day
from jobs.catalog import JobSpec
from jobs.errors import JobPayloadError
from jobs.runtime import JobContext, JobRuntime
from jobs.schedules import ScheduleSpec
from jobs.units import UnitSpec, has_units, insert_units
from risk.reviews import (
    DEFAULT_POLICY_FILE,
    DEFAULT_REVIEW_BATCH,
    BasisCache,
    ReviewBasis,
    ReviewPolicy,
    load_policy,
    run_reviews,
)
from risk.reviews.schedule import due_review_batches

__all__ = ["JOBS", "PLAN_REVIEWS", "REVIEWS_QUEUE", "REVIEW_BATCH", "REVIEW_BATCH_SIZE",
           "REVIEW_POLICY_FILE", "SCHEDULES", "batch_key", "batch_prefix"]

PLAN_REVIEWS: Final = "plan_reviews"
REVIEW_BATCH: Final = "review_batch"
REVIEWS_QUEUE: Final = "reviews"
#: The runtime values this module reads (from the settings of the same names).
REVIEW_POLICY_FILE: Final = "review_policy_file"
REVIEW_BATCH_SIZE: Final = "review_batch"
#: The plan's first tick (01:00 UTC), then every day; the first look after a start fires
#: the latest tick passed.
PLAN_AT: Final = datetime.fromisoformat("2026-01-01T01:00:00+00:00")
DAY_S: Final = 86_400
#: A batch of 10,000 loans (the setting's maximum) is far within this (seconds).
BATCH_TIME_LIMIT_S: Final = 1_800.0
_BATCH_NUMBER_DIGITS: Final = 4


def batch_prefix(as_of: Any) -> str:
    """The key prefix of the review batches of ``as_of``."""
    return f"reviews@{as_of.isoformat()}#"


def batch_key(as_of: Any, number: int) -> str:
    """The unit key of batch ``number`` of ``as_of``'s reviews."""
    return f"{batch_prefix(as_of)}{number:0{_BATCH_NUMBER_DIGITS}d}"


def _batch_size(context: JobContext) -> int:
    size = context.runtime.values.get(REVIEW_BATCH_SIZE, DEFAULT_REVIEW_BATCH)
    if not isinstance(size, int) or isinstance(size, bool) or size < 1:
        raise JobPayloadError(f"{REVIEW_BATCH_SIZE} must be a positive integer, got {size!r}")
    return size


def plan_reviews(context: JobContext, tick: str) -> None:
    """Create the units of the business date's review batches (module docstring)."""
    assert context.connection is not None  # an atomic job
    as_of = business_date(context.runtime.values, tick)
    if has_units(context.connection, batch_prefix(as_of)):
        return  # this date is planned already
    now = context.now
    batches = due_review_batches(context.connection, as_of, _batch_size(context))
    insert_units(context.connection, [
        UnitSpec(key=batch_key(as_of, number), actor_name=REVIEW_BATCH,
                 queue_name=REVIEWS_QUEUE, due_at=now, args=(as_of.isoformat(), loans))
        for number, loans in enumerate(batches)], now=now)


def _policy(runtime: JobRuntime) -> ReviewPolicy:
    path = runtime.values.get(REVIEW_POLICY_FILE)
    return load_policy(Path(path) if path else DEFAULT_POLICY_FILE)


class _Bases:
    """A process's bases of review dates, built once per date by one thread at a time."""

    def __init__(self) -> None:
        self.cache = BasisCache()
        self.lock = threading.Lock()

    def get(self, runtime: JobRuntime, as_of: Any) -> ReviewBasis:
        with self.lock:
            return self.cache.get(runtime.engine, runtime.graph(), as_of)


def review_batch(context: JobContext, as_of: object, loan_ids: object) -> None:
    """Review ``loan_ids`` as of ``as_of`` (module docstring).

    Raises:
        JobPayloadError: the date or the loan ids are malformed.
        UnknownLoan, ReviewBeforeLoan, PolicyError: dead-lettered with their message.
    """
    day = parse_day(as_of, f"{REVIEW_BATCH}: as_of")
    if not isinstance(loan_ids, list) or not loan_ids or not all(
            isinstance(loan, str) and loan for loan in loan_ids):
        raise JobPayloadError(f"{REVIEW_BATCH}: loan_ids must be a non-empty list of loan "
                              f"ids, got {loan_ids!r:.200}")
    runtime = context.runtime
    policy = runtime.shared("reviews.policy", lambda: _policy(runtime))
    basis = runtime.shared("reviews.bases", _Bases).get(runtime, day)
    run_reviews(runtime.engine, runtime.graph(), loan_ids, day, basis=basis, policy=policy,
                now=runtime.clock)


JOBS: Final = (
    JobSpec(PLAN_REVIEWS, REVIEWS_QUEUE, plan_reviews),
    JobSpec(REVIEW_BATCH, REVIEWS_QUEUE, review_batch, atomic=False,
            time_limit_s=BATCH_TIME_LIMIT_S),
)
SCHEDULES: Final = (
    ScheduleSpec(name="reviews.plan", actor_name=PLAN_REVIEWS, queue_name=REVIEWS_QUEUE,
                 interval_s=DAY_S, first_due_at=PLAN_AT),
)
