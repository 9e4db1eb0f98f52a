"""The reads of the collections strategies: the champion/challenger report, a case's
actions, and promises to pay (merged into the root ``Query``)."""

from __future__ import annotations

import asyncio
from datetime import date
from typing import Annotated, Final

import strawberry
from sqlalchemy import Engine

from risk.collections.actions import case_actions
from risk.collections.errors import CollectionsError
from risk.collections.promises import STATUSES, list_promises
from risk.collections.strategy_report import StrategyReport, strategy_report
from schema.arguments import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE
from schema.context import Info
from schema.errors import InvalidArgument, SchemaError
from schema.pagination import window
from schema.types.collection_strategies import (
    CollectionAction,
    PromiseConnection,
    StrategiesReport,
    action_from_view,
    report_from_view,
)

__all__ = ["CollectionStrategyQueries"]

MAX_PROMISE_REACH: Final = 10_000


def _records(info: Info) -> Engine:
    records = info.context.records
    if records is None:
        raise SchemaError("this server has no SQL database: collections are kept there")
    return records


@strawberry.type
class CollectionStrategyQueries:
    @strawberry.field(description="Champion and challenger measured, per strategy and arm: "
                      "cases and cure rate on `asOf` (default today), amount recovered while "
                      "worked, cost per action kind, promises by status; only cases assigned "
                      "from `from` to `to` when given.")
    async def collection_strategies_report(
            self, info: Info, as_of: date | None = None,
            from_: Annotated[date | None, strawberry.argument(name="from")] = None,
            to: date | None = None) -> StrategiesReport:
        records = _records(info)
        try:
            found: StrategyReport = await asyncio.to_thread(
                strategy_report, records, as_of or date.today(), start=from_, end=to)
        except CollectionsError as exc:
            raise InvalidArgument(str(exc)) from exc
        return report_from_view(found)

    @strawberry.field(description="The strategy actions of the collection case `caseId` "
                      "(`LOAN@OPENED_ON`), in plan order; NOT_FOUND when there is no such "
                      "case.")
    async def case_actions(self, info: Info, case_id: strawberry.ID) -> list[CollectionAction]:
        found = await asyncio.to_thread(case_actions, _records(info), str(case_id))
        return [action_from_view(v) for v in found]

    @strawberry.field(description=f"Promises to pay, the soonest date first; only those of "
                      f"`caseId` and of `status` (pending, kept, broken) when given. `first` "
                      f"is at most {MAX_PAGE_SIZE}.")
    async def promises_to_pay(self, info: Info, case_id: strawberry.ID | None = None,
                              status: str | None = None, first: int = DEFAULT_PAGE_SIZE,
                              after: str | None = None) -> PromiseConnection:
        page = window(first, after, max_size=MAX_PAGE_SIZE, max_reach=MAX_PROMISE_REACH)
        if status is not None and status not in STATUSES:
            raise InvalidArgument(f"status {status!r} is not one of {', '.join(STATUSES)}")
        views = await asyncio.to_thread(
            list_promises, _records(info), case_id=None if case_id is None else str(case_id),
            statuses=None if status is None else [status], limit=page.size + 1,
            offset=page.offset)
        return PromiseConnection.from_page(views, page)
