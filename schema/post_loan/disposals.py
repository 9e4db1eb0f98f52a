"""The reads of disposals: a page of them (by state, kind, loan) and one with its trail."""

from __future__ import annotations

import asyncio
from typing import Final

import strawberry

from risk.disposals import DisposalNotFound, get_disposal, list_disposals
from schema.arguments import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE
from schema.context import Info
from schema.pagination import window
from schema.types.disposals import (
    Disposal,
    DisposalConnection,
    DisposalKind,
    DisposalState,
    disposal_of,
)

__all__ = ["DisposalQueries"]

#: How deep the disposal list can be paged.
MAX_DISPOSAL_REACH: Final = 10_000


@strawberry.type(description="The reads of disposals.")
class DisposalQueries:
    @strawberry.field(
        description=f"Disposals (restructurings, write-offs, recoveries, collateral "
        f"disposals), oldest first; only those of `state`, `kind` and `loanId` when given. "
        f"`first` is at most {MAX_PAGE_SIZE}.")
    async def disposals(
        self, info: Info,
        state: DisposalState | None = None,  # type: ignore[valid-type]
        kind: DisposalKind | None = None,  # type: ignore[valid-type]
        loan_id: strawberry.ID | None = None, first: int = DEFAULT_PAGE_SIZE,
        after: str | None = None,
    ) -> DisposalConnection:
        page = window(first, after, max_size=MAX_PAGE_SIZE, max_reach=MAX_DISPOSAL_REACH)
        records = info.context.records
        views = [] if records is None else await asyncio.to_thread(
            list_disposals, records, states=None if state is None else [state.value],
            kinds=None if kind is None else [kind.value],
            loan_id=None if loan_id is None else str(loan_id), limit=page.size + 1,
            offset=page.offset)
        return DisposalConnection.from_page(views, page)

    @strawberry.field(description="The disposal `number`, with every transition (who, "
                      "why); null when there is none.")
    async def disposal(self, info: Info, number: int) -> Disposal | None:
        records = info.context.records
        if records is None:
            return None
        try:
            return disposal_of(await asyncio.to_thread(get_disposal, records, number))
        except DisposalNotFound:
            return None
