"""A tiny portfolio, built inline, and the real graph stores counting their reads.

Two small companies guarantee each other's loans (a mutual guarantee), a large holding
company guarantees a quarter of one of them and owns the other, and a person borrows a
loan guaranteed by another person who shares a phone with them.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine

from graph.model import Edge, Label, Node, RelType, Subgraph
from graph.model import Path as GraphPath
from graph.store import Direction, GraphStore
from graph.stores.embedded import EmbeddedGraphStore
from graph.stores.embedded_schema import metadata
from graph.stores.neo4j import Neo4jGraphStore
from graph.walks import Hop, Walked

B, G, OWNS, H, U = (RelType.BORROWS, RelType.GUARANTEES, RelType.OWNS, RelType.HOLDS,
                    RelType.USES)

NODES = [
    Node("C1", Label.COMPANY, {"name": "Huaxin Trading", "sector": "wholesale", "size": "small",
                               "city": "Wenzhou", "province": "Zhejiang"}),
    Node("C2", Label.COMPANY, {"name": "Dongfang Steel", "size": "small"}),
    Node("C3", Label.COMPANY, {"name": "Dongfang Holdings", "size": "large",
                               "registered_capital": 50_000_000.0,
                               "registered_capital_minor": 5_000_000_000,
                               "registered_capital_currency": "CNY"}),
    Node("P1", Label.PERSON, {"name": "Zhang Wei", "occupation": "engineer", "city": "Hangzhou",
                              "national_id": "330102198001011234", "vip": True}),
    Node("P2", Label.PERSON, {"name": "Li Na"}),
    Node("L1", Label.LOAN, {"product": "working_capital", "principal": 500000.0,
                            "principal_minor": 50_000_000, "principal_currency": "CNY",
                            "currency": "CNY",
                            "term_months": 12, "status": "active"}),
    Node("L2", Label.LOAN, {"product": "working_capital", "principal": 800000.0,
                            "principal_minor": 80_000_000, "principal_currency": "CNY",
                            "currency": "CNY",
                            "status": "active"}),
    Node("L3", Label.LOAN, {"product": "consumer", "principal": 20000.1,
                            "principal_minor": 2_000_010, "principal_currency": "CNY",
                            "currency": "CNY",
                            "status": "closed"}),
    Node("A1", Label.ACCOUNT, {"bank": "ICBC"}),
    Node("phone:13800000000", Label.PHONE, {}),
]

EDGES = [
    Edge(B, "C1", "L1"), Edge(B, "C2", "L2"), Edge(B, "P1", "L3"),
    Edge(G, "C2", "L1", props={"amount": 500000.0, "amount_minor": 50_000_000,
                               "amount_currency": "CNY", "share": 1.0, "kind": "mutual"}),
    Edge(G, "C1", "L2", props={"amount": 400000.0, "amount_minor": 40_000_000,
                               "amount_currency": "CNY", "share": 0.5, "kind": "mutual"}),
    Edge(G, "C3", "L2", props={"amount": 200000.0, "amount_minor": 20_000_000,
                               "amount_currency": "CNY", "share": 0.25, "kind": "single"}),
    Edge(G, "P2", "L3", props={"amount": 20000.1, "amount_minor": 2_000_010,
                               "amount_currency": "CNY", "share": 1.0, "kind": "single"}),
    Edge(OWNS, "C3", "C2", props={"pct": 0.6}),
    Edge(H, "C1", "A1"),
    Edge(U, "P1", "phone:13800000000"), Edge(U, "P2", "phone:13800000000"),
]


def sqlite_engine(path: Path) -> Engine:
    """An engine on a fresh SQLite file holding the graph tables."""
    engine = create_engine(f"sqlite:///{path}")
    metadata.create_all(engine)
    return engine


class Counting(GraphStore):
    """Counts how often each read is asked for, then lets the real store answer.

    Mixed in before a real store class (see :class:`CountingStore`,
    :class:`CountingNeo4jStore`), so every backend is counted the same way. A read the
    store makes inside another counted read (a search that reads its hits' nodes) is part
    of that call, not a call of its own.
    """

    calls: Counter[str]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.calls = Counter()
        self._inside = threading.local()

    @contextmanager
    def _counted(self, name: str) -> Iterator[None]:
        depth = getattr(self._inside, "depth", 0)
        if depth == 0:
            self.calls[name] += 1
        self._inside.depth = depth + 1
        try:
            yield
        finally:
            self._inside.depth = depth

    def get_nodes(self, ids: Sequence[str]) -> list[Node | None]:
        with self._counted("get_nodes"):
            return super().get_nodes(ids)

    def edges_of(self, ids: Sequence[str], types: Collection[RelType] | None = None,
                 direction: Direction = "both") -> list[list[Edge]]:
        with self._counted("edges_of"):
            return super().edges_of(ids, types, direction)

    def walk(self, ids: Sequence[str], hops: Sequence[Hop]) -> Walked:
        with self._counted("walk"):
            return super().walk(ids, hops)

    def search_parties(self, text: str, limit: int = 20) -> list[Node]:
        with self._counted("search_parties"):
            return super().search_parties(text, limit)

    def neighbourhood(self, center: str, hops: int = 2, **kwargs: object) -> Subgraph:
        with self._counted("neighbourhood"):
            return super().neighbourhood(center, hops, **kwargs)  # type: ignore[arg-type]

    def shortest_paths(self, source: str, target: str, **kwargs: object) -> list[GraphPath]:
        with self._counted("shortest_paths"):
            return super().shortest_paths(source, target, **kwargs)  # type: ignore[arg-type]


class CountingStore(Counting, EmbeddedGraphStore):
    """The real embedded store (on SQLite or PostgreSQL), counting its reads."""


class CountingNeo4jStore(Counting, Neo4jGraphStore):
    """The real Neo4j store, counting its reads."""


def load_sample(store: Counting) -> Counting:
    """The sample portfolio written into ``store``, its call counts cleared."""
    store.upsert_nodes(NODES)
    store.upsert_edges(EDGES)
    store.calls.clear()
    return store


def sample_store(engine: Engine) -> CountingStore:
    """The sample portfolio in a counting store over ``engine`` (see :func:`sqlite_engine`)."""
    store = CountingStore(engine)
    load_sample(store)
    return store
