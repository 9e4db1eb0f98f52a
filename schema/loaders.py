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

from sqlalchemy import Engine
from strawberry.dataloader import DataLoader

from graph.model import Edge, Node, RelType
from graph.store import Direction, GraphStore
from risk.scan_results import (
    FindingResult,
    LoanResult,
    StoredFeatures,
    findings_by_party,
    loan_results,
    party_features,
)

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
    #: A loan's result in the latest scan, by loan id (``None``: not in it, or no records).
    loan_results: DataLoader[str, LoanResult | None]
    #: The findings of the latest scan a party belongs to, by party id.
    findings: DataLoader[str, list[FindingResult]]
    #: A party's graph features in the latest scan, by party id (``None``: none stored).
    graph_features: DataLoader[str, StoredFeatures | None]


def create_loaders(graph: GraphStore, records: Engine | None = None) -> Loaders:
    """Fresh loaders over ``graph`` and ``records``; one ``get_nodes`` call per batch of
    node ids, one ``edges_of`` call per batch and distinct (types, direction), and one query
    per batch of loan or party ids for the scan results."""

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

    async def load_loan_results(ids: Sequence[str]) -> list[LoanResult | None]:
        if records is None:
            return [None] * len(ids)
        found = await asyncio.to_thread(loan_results, records, list(ids))
        return [found.get(loan_id) for loan_id in ids]

    async def load_findings(ids: Sequence[str]) -> list[list[FindingResult]]:
        if records is None:
            return [[] for _ in ids]
        found = await asyncio.to_thread(findings_by_party, records, list(ids))
        return [found.get(party_id, []) for party_id in ids]

    async def load_graph_features(ids: Sequence[str]) -> list[StoredFeatures | None]:
        if records is None:
            return [None] * len(ids)
        found = await asyncio.to_thread(party_features, records, list(ids))
        return [found.get(party_id) for party_id in ids]

    return Loaders(nodes=DataLoader(load_fn=load_nodes), edges=DataLoader(load_fn=load_edges),
                   loan_results=DataLoader(load_fn=load_loan_results),
                   findings=DataLoader(load_fn=load_findings),
                   graph_features=DataLoader(load_fn=load_graph_features))
