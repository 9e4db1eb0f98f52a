"""Neighbourhoods and shortest paths: argument checks, then one store call in a thread.

Unlike the relations in :mod:`schema.relations`, a traversal is not batched: it is asked
for one center (or one pair) at a time, so keep it out of long lists.
"""

from __future__ import annotations

import asyncio
from collections.abc import Collection
from typing import Final

from graph.model import PARTY_LABELS, Label, Path, RelType, Subgraph
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
    """
    check_range("hops", hops, 0, MAX_HOPS)
    check_range("limit", limit, 1, MAX_SUBGRAPH_NODES)
    return await asyncio.to_thread(
        lambda: context.graph.neighbourhood(center, hops, labels=labels, types=types,
                                            limit=limit)
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
    """
    check_range("maxHops", max_hops, 1, MAX_HOPS)
    check_range("limit", limit, 1, MAX_PATH_LIMIT)
    return await asyncio.to_thread(
        lambda: context.graph.shortest_paths(source, target, max_hops=max_hops, types=types,
                                             limit=limit)
    )
