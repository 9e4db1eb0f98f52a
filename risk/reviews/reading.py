"""Reviews read in batches, for views that show many at once (the API's DataLoaders).

Each function answers for many keys with one query per :data:`IDS_PER_QUERY` keys, so a
page of a hundred loans with their reviews costs what a page of one costs.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Final, TypeVar

from sqlalchemy import Engine, select
from sqlmodel import Session, col

from portfolio.reviews import ReviewRecord
from risk.reviews.record import Review

__all__ = ["IDS_PER_QUERY", "reviews_by_id", "reviews_of_loans"]

#: Keys per query (within every database's limit on bound parameters).
IDS_PER_QUERY: Final = 500

K = TypeVar("K")


def _chunks(keys: Sequence[K]) -> Iterator[list[K]]:
    unique = list(dict.fromkeys(keys))
    for start in range(0, len(unique), IDS_PER_QUERY):
        yield unique[start:start + IDS_PER_QUERY]


def reviews_by_id(engine: Engine, review_ids: Sequence[int]) -> dict[int, Review]:
    """The reviews of ``review_ids`` that exist, by id."""
    found: dict[int, Review] = {}
    with Session(engine) as session:
        for chunk in _chunks(review_ids):
            for row in session.execute(select(ReviewRecord)
                                       .where(col(ReviewRecord.id).in_(chunk))).scalars():
                review = Review.of(row)
                found[review.id] = review
    return found


def reviews_of_loans(engine: Engine, loan_ids: Sequence[str]) -> dict[str, list[Review]]:
    """Every review of each loan of ``loan_ids`` that has one, the newest date first (then
    the newest written)."""
    found: dict[str, list[Review]] = {}
    with Session(engine) as session:
        for chunk in _chunks(loan_ids):
            rows = session.execute(
                select(ReviewRecord).where(col(ReviewRecord.loan_id).in_(chunk))
                .order_by(col(ReviewRecord.loan_id), col(ReviewRecord.as_of).desc(),
                          col(ReviewRecord.id).desc())).scalars()
            for row in rows:
                found.setdefault(row.loan_id, []).append(Review.of(row))
    return found
