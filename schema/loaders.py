"""DataLoaders: one per relation, created per request, answering in key order.

A page of parties asks for their loans, guarantees and guarantors one party at a time;
the loaders gather every such request made in the same event-loop turn into one
:class:`graph.store.GraphStore` call, so the number of store round trips does not grow
with the page size. The store is synchronous, so each batch runs in a worker thread and
the event loop keeps serving other requests meanwhile.

Example::

    loaders = create_loaders(store)
    edges = await loaders.edges.load(EdgeKey("C1", frozenset({RelType.BORROWS}), "out"))
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

from strawberry.dataloader import DataLoader

from graph.model import Edge, Node, RelType
from graph.store import Direction, GraphStore

__all__ = ["EdgeKey", "Loaders", "create_loaders"]


class EdgeKey(NamedTuple):
    """Which edges of one node to load: of ``types`` (all when ``None``), in ``direction``."""

    node_id: str
    types: frozenset[RelType] | None
    direction: Direction


@dataclass(frozen=True, slots=True)
class Loaders:
    """The loaders of one request. Never share them between requests: they cache."""

    #: Node by id; ``None`` where the id is unknown.
    nodes: DataLoader[str, Node | None]
    #: Edges by :class:`EdgeKey`, each list sorted by edge identity.
    edges: DataLoader[EdgeKey, list[Edge]]


def create_loaders(graph: GraphStore) -> Loaders:
    """Fresh loaders over ``graph``; one ``get_nodes`` call per batch of node ids and one
    ``edges_of`` call per batch and distinct (types, direction)."""

    async def load_nodes(ids: Sequence[str]) -> list[Node | None]:
        return await asyncio.to_thread(graph.get_nodes, list(ids))

    async def load_edges(keys: Sequence[EdgeKey]) -> list[list[Edge]]:
        groups: dict[tuple[frozenset[RelType] | None, Direction], list[str]] = {}
        for key in keys:
            groups.setdefault((key.types, key.direction), []).append(key.node_id)
        found: dict[EdgeKey, list[Edge]] = {}
        for (types, direction), ids in groups.items():
            unique = list(dict.fromkeys(ids))
            lists = await asyncio.to_thread(graph.edges_of, unique, types, direction)
            for node_id, edges in zip(unique, lists, strict=True):
                found[EdgeKey(node_id, types, direction)] = edges
        return [found[key] for key in keys]

    return Loaders(nodes=DataLoader(load_fn=load_nodes), edges=DataLoader(load_fn=load_edges))
