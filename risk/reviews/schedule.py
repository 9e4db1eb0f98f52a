"""What is due for review on a date, derived from the database alone.

A loan is due on D when it was disbursed by D and either was never reviewed
(no schedule row: its first review is due at once) or its next review date is on or before
D. A loan with nothing left to review (repaid in full at its last review) has a schedule
row without a date and is never due again. The loan's stored status is not read: it says
how the loan stands today, not on D (the scan classifies every loan disbursed by D, and so
the reviews do). The scheduler calls :func:`due_reviews` after any
crash or restart and gets the same answer: the queue holds no state of its own.

A review missed during an outage is simply still due when the system is back, once: the
date does not multiply with the ticks missed, and the review of that day runs once under
its natural key.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Final

from sqlalchemy import Connection, Engine, and_, or_, select

from portfolio.loans import Loan
from portfolio.reviews import ReviewSchedule
from risk.reviews.errors import ReviewError

__all__ = ["DEFAULT_REVIEW_BATCH", "DueReview", "due_review_batches", "due_reviews"]

#: Loans per batch the scheduler enqueues (one message, one transaction of reviews).
DEFAULT_REVIEW_BATCH: Final = 500


@dataclass(frozen=True, slots=True)
class DueReview:
    """A loan due for review: ``due_on`` its scheduled date (``None``: never reviewed)."""

    loan_id: str
    due_on: date | None
    tier: str | None


def due_reviews(engine: Engine | Connection, as_of: date, limit: int = DEFAULT_REVIEW_BATCH,
                *, after: str | None = None) -> list[DueReview]:
    """The loans due for review on ``as_of``, by loan id, at most ``limit``; with ``after``
    the ones whose id comes after it (page through with the last id of a batch). ``engine``
    may be an open connection (a job reading inside its unit's transaction).

    Raises:
        ReviewError: ``limit`` below 1.
    """
    if limit < 1:
        raise ReviewError(f"limit must be at least 1, got {limit}")
    loan, held = Loan.__table__, ReviewSchedule.__table__  # type: ignore[attr-defined]
    query = (select(loan.c.id, held.c.next_review, held.c.tier)
             .select_from(loan.outerjoin(held, held.c.loan_id == loan.c.id))
             .where(loan.c.disbursed_on <= as_of,
                    or_(held.c.loan_id.is_(None),
                        and_(held.c.next_review.is_not(None), held.c.next_review <= as_of)))
             .order_by(loan.c.id).limit(limit))
    if after is not None:
        query = query.where(loan.c.id > after)
    if isinstance(engine, Connection):
        return [DueReview(loan_id=row[0], due_on=row[1], tier=row[2])
                for row in engine.execute(query)]
    with engine.connect() as connection:
        return [DueReview(loan_id=row[0], due_on=row[1], tier=row[2])
                for row in connection.execute(query)]


def due_review_batches(engine: Engine | Connection, as_of: date,
                       batch: int = DEFAULT_REVIEW_BATCH) -> list[list[str]]:
    """Every loan due for review on ``as_of``, by loan id, cut into batches of ``batch``
    (the last may be shorter): the units of work of a day's reviews. The same database
    gives the same batches, so a day planned twice plans the same units.

    Raises:
        ReviewError: ``batch`` below 1.
    """
    if batch < 1:
        raise ReviewError(f"a review batch must hold at least one loan, got {batch}")
    batches: list[list[str]] = []
    after: str | None = None
    while True:
        page = due_reviews(engine, as_of, batch, after=after)
        if page:
            batches.append([due.loan_id for due in page])
        if len(page) < batch:
            return batches
        after = page[-1].loan_id
