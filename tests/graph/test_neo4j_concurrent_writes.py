"""The Neo4j store's concurrent write path: a batch of one label or type large enough to be
split into several transactions at once arrives whole, each node and edge exactly once."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest

from graph.model import Edge, Label, Node, RelType
from graph.stores.neo4j import MIN_ROWS_PER_WRITE, Neo4jGraphStore
from tests.services import open_neo4j_store

pytestmark = pytest.mark.neo4j

#: Nodes of one label: enough for two concurrent transactions (the store's threshold).
NODES = 2 * MIN_ROWS_PER_WRITE + 100
#: Firms per ownership chain; each chain is a group of edges no other chain touches.
CHAIN = 100
#: Edges of one type: NODES less one per chain, still above the threshold.
EDGES = NODES - NODES // CHAIN


class ThreadNoting(Neo4jGraphStore):
    """The real store, noting which thread ran each write transaction."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.writers: Counter[str] = Counter()

    def _write(self, work: Any) -> Any:
        self.writers[threading.current_thread().name] += 1
        return super()._write(work)


@pytest.fixture
def store(neo4j_store: Neo4jGraphStore) -> Iterator[ThreadNoting]:
    """An empty test Neo4j (claimed through ``neo4j_store``) in a thread-noting store."""
    neo4j_store.delete_all()
    noting = open_neo4j_store(ThreadNoting)
    yield noting
    noting.delete_all()
    noting.close()


def firms_and_holdings() -> tuple[list[Node], list[Edge]]:
    """NODES companies; in chains of CHAIN, each owns part of the next."""
    firms = [Node(f"F{i:05d}", Label.COMPANY, {"name": f"Firm {i}", "rank": i})
             for i in range(NODES)]
    edges = [Edge(RelType.OWNS, firms[i].id, firms[i + 1].id, props={"pct": 0.51})
             for i in range(NODES - 1) if (i + 1) % CHAIN]
    return firms, edges


def test_a_large_batch_is_written_concurrently_and_exactly_once(store: ThreadNoting) -> None:
    firms, edges = firms_and_holdings()
    assert min(len(firms), len(edges)) >= 2 * MIN_ROWS_PER_WRITE

    store.upsert_nodes(firms)
    store.upsert_edges(edges)
    store.upsert_edges(edges)  # again: an upsert, not an insert

    concurrent = [name for name in store.writers if name.startswith("neo4j-writer")]
    assert len(concurrent) >= 2, store.writers
    assert store.count() == {"Company": NODES, "OWNS": EDGES}
    records, _, _ = store._driver.execute_query(
        "MATCH (n:Entity) WITH n.id AS id, count(*) AS copies WHERE copies > 1 "
        "RETURN count(id) AS duplicated_ids"
    )
    assert records[0]["duplicated_ids"] == 0
    records, _, _ = store._driver.execute_query(
        "MATCH (a)-[r]->(b) WITH type(r) AS t, a.id AS a, b.id AS b, count(r) AS copies "
        "WHERE copies > 1 RETURN count(*) AS duplicated_edges"
    )
    assert records[0]["duplicated_edges"] == 0
    assert store.get_nodes(["F02099", "F00000"]) == [firms[-1], firms[0]]
    assert {(e.source, e.target) for e in store.edges_of(["F00150"])[0]} == {
        ("F00149", "F00150"), ("F00150", "F00151")}
    assert store.edges_of(["F00199"])[0] == [edges[197]]
