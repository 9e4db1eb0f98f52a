"""Reading the latest scan for the root fields ``circles`` and ``scanRun``: arguments
checked, the risk readers (:mod:`risk.scan_circles`, :mod:`risk.scan_results`) run in a
worker thread, their results turned into GraphQL types.

A page of circles costs three queries whatever its size: the latest-run pointer, the
ranking (ids, kinds, members and exposure of every circle of the run, without their edges)
and the page's findings.
"""

from __future__ import annotations

import asyncio
from typing import Final

from risk.scan_circles import CIRCLE_KINDS, circle_ranking, findings_by_id
from risk.scan_results import FindingResult, latest_run
from schema.arguments import MAX_PAGE_SIZE, check_range
from schema.context import Context
from schema.pagination import window
from schema.types.circles import CircleConnection, CircleKind
from schema.types.scan_run import ScanRun, scan_run_from_summary

__all__ = ["MAX_CIRCLE_MEMBERS", "MAX_CIRCLE_REACH", "circle_page", "latest_scan_run"]

#: How deep the circle list can be paged.
MAX_CIRCLE_REACH: Final = 100_000
#: The largest ``minMembers`` (a circle larger than any portfolio's parties).
MAX_CIRCLE_MEMBERS: Final = 10_000_000


async def circle_page(context: Context, kind: CircleKind | None, min_members: int,
                      first: int, after: str | None) -> CircleConnection:
    """The page of ``first`` circles after ``after``, of ``kind`` (all when ``None``) and at
    least ``min_members`` parties.

    Raises:
        InvalidArgument: ``first``, ``after`` or ``minMembers`` is out of range.
    """
    page = window(first, after, max_size=MAX_PAGE_SIZE, max_reach=MAX_CIRCLE_REACH)
    check_range("minMembers", min_members, 2, MAX_CIRCLE_MEMBERS)
    records = context.records
    if records is None:
        return CircleConnection.from_page([], page, total=0, run_id=None)
    kinds = CIRCLE_KINDS if kind is None else (kind.value,)

    def read() -> tuple[int | None, int, list[FindingResult]]:
        ranking = circle_ranking(records, kinds=kinds, min_members=min_members)
        shown = [c.id for c in ranking.circles[page.offset:page.offset + page.size]]
        found = findings_by_id(records, shown) if shown else {}
        return ranking.run_id, len(ranking.circles), [found[i] for i in shown if i in found]

    run_id, total, findings = await asyncio.to_thread(read)
    return CircleConnection.from_page(findings, page, total=total, run_id=run_id)


async def latest_scan_run(context: Context) -> ScanRun | None:
    """The latest run's summary; ``None`` before any scan or without records."""
    records = context.records
    if records is None:
        return None
    run = await asyncio.to_thread(latest_run, records)
    return None if run is None else scan_run_from_summary(run)
