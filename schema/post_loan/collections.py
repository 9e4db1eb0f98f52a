"""The reads of collections: cases (a page, filtered, or one with its transitions) and roll
and cure rates between two dates. A loan's bucket on a date and its bucket history are
fields of ``Loan`` (:mod:`schema.types.loan`)."""

from __future__ import annotations

import asyncio
from datetime import date
from typing import Annotated, Final

import strawberry

from risk.collections.cases import CaseState, get_case
from risk.collections.errors import CaseNotFound, CollectionsError
from risk.collections.rates import roll_rates
from risk.collections.reading import case_page
from schema.arguments import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE
from schema.context import Info
from schema.errors import InvalidArgument
from schema.pagination import window
from schema.types.collections import (
    CaseConnection,
    CollectionCase,
    RollRates,
    case_from_view,
    roll_rates_from_view,
)

__all__ = ["CaseFilter", "CollectionQueries", "case_key"]

_PREFIX: Final = "CollectionCase:"
#: How deep the case list can be paged (a work list, not an export).
MAX_CASE_REACH: Final = 10_000


def case_key(value: str) -> str:
    """The case id of ``CollectionCase:L1@2025-03-01`` (its global id) or ``L1@2025-03-01``.

    Raises:
        InvalidArgument: blank.
    """
    text = value.strip().removeprefix(_PREFIX)
    if not text:
        raise InvalidArgument("id must name a collection case (CollectionCase:LOAN@DATE)")
    return text


@strawberry.input(description="Which collection cases to list; every condition given must "
                  "hold.")
class CaseFilter:
    states: list[str] | None = strawberry.field(
        default=None, description="Only cases in these states (open, on_hold, cured, "
        "written_off, closed).")
    buckets: list[str] | None = strawberry.field(
        default=None, description="Only cases in these delinquency buckets (1-30, 31-60...).")
    segment: str | None = strawberry.field(
        default=None, description="Only cases of this segment key (`CaseSegment.key`).")
    loan_id: strawberry.ID | None = strawberry.field(
        default=None, description="Only the cases of this loan.")


def _check_states(states: list[str] | None) -> None:
    unknown = sorted(set(states or ()) - {s.value for s in CaseState})
    if unknown:
        raise InvalidArgument(f"filter.states: unknown state(s) {', '.join(unknown)}; one "
                              f"of {', '.join(s.value for s in CaseState)}")


@strawberry.type(description="The reads of collections.")
class CollectionQueries:
    @strawberry.field(
        description=f"Collection cases, the most days past due first (then by id), narrowed "
        f"by `filter`. `first` is at most {MAX_PAGE_SIZE}; empty before any `loanwatch "
        f"collections run`.")
    async def collection_cases(self, info: Info, filter: CaseFilter | None = None,
                               first: int = DEFAULT_PAGE_SIZE, after: str | None = None
                               ) -> CaseConnection:
        page = window(first, after, max_size=MAX_PAGE_SIZE, max_reach=MAX_CASE_REACH)
        chosen = filter or CaseFilter()
        _check_states(chosen.states)
        records = info.context.records
        views = [] if records is None else await asyncio.to_thread(
            case_page, records, states=chosen.states, buckets=chosen.buckets,
            segment=chosen.segment,
            loan_id=None if chosen.loan_id is None else str(chosen.loan_id),
            limit=page.size + 1, offset=page.offset)
        return CaseConnection.from_page(views, page)

    @strawberry.field(description="The collection case `id` (its global id "
                      "`CollectionCase:L1@2025-03-01`, or the case id) with its transitions; "
                      "NOT_FOUND when there is none.")
    async def collection_case(self, info: Info, id: strawberry.ID) -> CollectionCase:
        key = case_key(str(id))
        records = info.context.records
        if records is None:
            raise CaseNotFound(key)
        return case_from_view(await asyncio.to_thread(get_case, records, key))

    @strawberry.field(
        description="The roll-rate matrix and cure rates from `from` to `to`: for every loan "
        "in a live bucket on `from`, where it is on `to`. Both dates must be days the daily "
        "collections runs covered (BAD_USER_INPUT otherwise, saying which they cover).")
    async def roll_rates(self, info: Info,
                         from_: Annotated[date, strawberry.argument(name="from")],
                         to: date) -> RollRates:
        records = info.context.records
        if records is None:
            raise InvalidArgument("this server has no records database: no bucket history")
        try:
            view = await asyncio.to_thread(roll_rates, records, from_, to)
        except CollectionsError as exc:
            raise InvalidArgument(str(exc), suggestion=exc.suggestion) from exc
        return roll_rates_from_view(view)
