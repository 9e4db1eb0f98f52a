"""The reads of loan reviews: one review by id, and the human review queue."""

from __future__ import annotations

import asyncio
from typing import Final

import strawberry

from auth.principal import Right
from risk.reviews.errors import ReviewNotFound
from risk.reviews.queue import get_review, review_queue
from schema.arguments import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE
from schema.context import Info
from schema.errors import InvalidArgument
from schema.pagination import decode_cursor
from schema.permissions import needs
from schema.types.reviews import Review, ReviewConnection, review_from_view

__all__ = ["ReviewQueries", "review_number"]

_PREFIX: Final = "Review:"


def review_number(value: str) -> int:
    """The number of a review id, given as ``Review:17`` (its global id) or ``17``.

    Raises:
        InvalidArgument: neither.
    """
    text = value.strip().removeprefix(_PREFIX)
    if not text.isdigit():
        raise InvalidArgument(f"id must be a review id (Review:17) or number; got {value!r}")
    return int(text)


@strawberry.type(description="The reads of loan reviews.")
class ReviewQueries:
    @strawberry.field(description="The review `id` (its global id `Review:17`, or its "
                      "number) with its inputs, outputs, route and decision; NOT_FOUND when "
                      "there is none.")
    async def review(self, info: Info, id: strawberry.ID) -> Review:
        number = review_number(str(id))
        records = info.context.records
        if records is None:
            raise ReviewNotFound(number)
        return review_from_view(await asyncio.to_thread(get_review, records, number))

    @strawberry.field(
        description=f"The human review queue: reviews routed to a person and not yet "
        f"decided, oldest first. `first` is at most {MAX_PAGE_SIZE}; the cursors hold review "
        f"numbers, so a review decided meanwhile shifts nothing off the next page. Decide "
        f"one with `decideReview`.", metadata=needs(Right.REVIEW_LOANS))
    async def review_queue(self, info: Info, first: int = DEFAULT_PAGE_SIZE,
                           after: str | None = None) -> ReviewConnection:
        if not 1 <= first <= MAX_PAGE_SIZE:
            raise InvalidArgument(f"first must be between 1 and {MAX_PAGE_SIZE}, got {first}")
        since = None if after is None else decode_cursor(after)
        records = info.context.records
        views = [] if records is None else await asyncio.to_thread(
            review_queue, records, limit=first + 1, after=since)
        return ReviewConnection.keyed(views, first, after=since is not None)
