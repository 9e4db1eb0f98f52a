"""Reading the portfolio lists for ``Query.borrowers`` and ``Query.loans``: arguments
checked and turned into a :class:`risk.portfolio_lists.ListFilter`, the list read in a
worker thread, its parties or loans read in one batched store call.

A page costs: the latest-run pointer and one aggregate query (plus one graph read per
region or sector filter, one query per group filter), then one ``get_nodes`` for the
page's nodes, whatever the page size.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any, Final

from graph.model import PARTY_LABELS, Label
from graph.walks import Hop
from risk.portfolio_lists import (
    ListFilter,
    ListOrder,
    PortfolioListError,
    borrower_page,
    loan_page,
)
from schema.arguments import MAX_PAGE_SIZE
from schema.context import Context
from schema.errors import InvalidArgument
from schema.pagination import window
from schema.types.loan import Loan
from schema.types.party import party_from_node
from schema.types.portfolio import BorrowerConnection, BorrowerFilter, LoanConnection, LoanFilter

__all__ = ["MAX_LIST_REACH", "borrower_connection", "loan_connection"]

#: How deep a portfolio list can be paged.
MAX_LIST_REACH: Final = 1_000_000


def _circle(value: Any) -> int | None:
    if value is None:
        return None
    text = str(value)
    if not text.isdigit():
        raise InvalidArgument(f"filter.circle: {text!r} is not a circle id",
                              suggestion="take an id from `circles` or `Party.circles`")
    return int(text)


def _list_filter(flt: BorrowerFilter | LoanFilter | None) -> ListFilter:
    if flt is None:
        return ListFilter()
    exposure = flt.exposure
    return ListFilter(
        dpd_buckets=tuple(b.value for b in flt.dpd_buckets or ()),
        tiers=tuple(t.value for t in flt.tiers or ()), stages=tuple(flt.stages or ()),
        products=tuple(flt.products or ()), region=flt.region, sector=flt.sector,
        group=None if flt.group is None else str(flt.group), circle=_circle(flt.circle),
        currency=None if exposure is None else exposure.currency,
        exposure_min=None if exposure is None else exposure.min,
        exposure_max=None if exposure is None else exposure.max)


async def _run(fn: Any, context: Context, flt: ListFilter, order: Any, offset: int,
               limit: int) -> Sequence[Any]:
    records = context.records
    if records is None:
        return []
    try:
        return await asyncio.to_thread(fn, records, context.graph, flt, ListOrder(order.value),
                                       offset=offset, limit=limit)
    except PortfolioListError as exc:
        raise InvalidArgument(f"filter: {exc}", suggestion=exc.suggestion) from exc


async def borrower_connection(context: Context, flt: BorrowerFilter | None, order: Any,
                              first: int, after: str | None, *,
                              walk: tuple[Hop, ...] = ()) -> BorrowerConnection:
    """The page of ``first`` borrowers after ``after``; with ``walk``, the page's parties
    and that walk from them are read first, in one store call
    (:func:`schema.view_walks.selection_walk`).

    Raises:
        InvalidArgument: ``first`` or ``after`` is out of range, or the filter names an
            unknown bucket, tier, currency or group.
    """
    page = window(first, after, max_size=MAX_PAGE_SIZE, max_reach=MAX_LIST_REACH)
    rows = await _run(borrower_page, context, _list_filter(flt), order, page.offset,
                      page.size + 1)
    ids = [row.party_id for row in rows[:page.size]]
    if walk and ids:
        await context.loaders.walk(ids, walk)
    nodes = await context.loaders.nodes.load_many(ids)
    parties = {node.id: party_from_node(node) for node in nodes
               if node is not None and node.label in PARTY_LABELS}
    return BorrowerConnection.from_rows(list(rows), parties, page)


async def loan_connection(context: Context, flt: LoanFilter | None, order: Any,
                          first: int, after: str | None) -> LoanConnection:
    """The page of ``first`` loans after ``after`` (raises as
    :func:`borrower_connection`)."""
    page = window(first, after, max_size=MAX_PAGE_SIZE, max_reach=MAX_LIST_REACH)
    rows = await _run(loan_page, context, _list_filter(flt), order, page.offset,
                      page.size + 1)
    nodes = await context.loaders.nodes.load_many([row.loan_id for row in rows[:page.size]])
    loans = {node.id: Loan(node=node) for node in nodes
             if node is not None and node.label is Label.LOAN}
    return LoanConnection.from_rows(list(rows), loans, page)
