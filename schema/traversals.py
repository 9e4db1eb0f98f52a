"""Neighbourhoods and shortest paths: argument checks, then one store call in a thread.

Unlike the relations in :mod:`schema.relations`, a traversal is not batched: it is asked
for one center (or one pair) at a time, so keep it out of long lists.

The store call runs in a worker thread, which cancelling the request cannot interrupt;
so the request's :meth:`schema.control.QueryControl.check` is made the walk's
:data:`graph.traversal.traversal_checkpoint`, and a stopped request (client gone, time
up) ends its walk at the next hop.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Collection
from typing import Final, TypeVar

from graph.model import PARTY_LABELS, Label, Path, RelType, Subgraph
from graph.traversal import traversal_checkpoint
from schema.arguments import (
    MAX_HOPS,
    MAX_PATH_LIMIT,
    MAX_SUBGRAPH_NODES,
    check_range,
)
from schema.context import Context

__all__ = ["GUARANTEE_LABELS", "GUARANTEE_TYPES", "neighbourhood", "shortest_paths"]

#: What a guarantee network walks: parties and loans over BORROWS and GUARANTEES.
GUARANTEE_TYPES: Final = frozenset({RelType.BORROWS, RelType.GUARANTEES})
GUARANTEE_LABELS: Final = PARTY_LABELS | {Label.LOAN}

T = TypeVar("T")


async def _walk(context: Context, call: Callable[[], T]) -> T:
    """``call()`` in a worker thread, stopping at the next hop once the request stops."""

    def run() -> T:
        # to_thread runs this in a copy of the caller's context: the value set here is
        # seen by this walk only.
        traversal_checkpoint.set(context.control.check)
        return call()

    context.control.check()
    return await asyncio.to_thread(run)


async def neighbourhood(
    context: Context,
    center: str,
    *,
    hops: int,
    limit: int,
    labels: Collection[Label] | None = None,
    types: Collection[RelType] | None = None,
) -> Subgraph:
    """Nodes within ``hops`` of ``center`` and the edges among them (see
    :meth:`graph.store.GraphStore.neighbourhood`).

    Raises:
        InvalidArgument: ``hops`` or ``limit`` out of bounds.
        NodeNotFound: ``center`` does not exist.
        QueryInterrupted: the request was stopped before or during the walk.
    """
    check_range("hops", hops, 0, MAX_HOPS)
    check_range("limit", limit, 1, MAX_SUBGRAPH_NODES)
    return await _walk(
        context,
        lambda: context.graph.neighbourhood(center, hops, labels=labels, types=types,
                                            limit=limit),
    )


async def shortest_paths(
    context: Context,
    source: str,
    target: str,
    *,
    max_hops: int,
    limit: int,
    types: Collection[RelType] | None = None,
) -> list[Path]:
    """All shortest paths from ``source`` to ``target`` (see
    :meth:`graph.store.GraphStore.shortest_paths`).

    Raises:
        InvalidArgument: ``max_hops`` or ``limit`` out of bounds.
        NodeNotFound: ``source`` or ``target`` does not exist.
        QueryInterrupted: the request was stopped before or during the walk.
    """
    check_range("maxHops", max_hops, 1, MAX_HOPS)
    check_range("limit", limit, 1, MAX_PATH_LIMIT)
    return await _walk(
        context,
        lambda: context.graph.shortest_paths(source, target, max_hops=max_hops, types=types,
                                             limit=limit),
    )
