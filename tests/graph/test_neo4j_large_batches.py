"""The Neo4j store's write path on batches of the import's size: a batch of thousands of
nodes and edges of one label and type is written in one transaction, whole, each node and
edge exactly once, and writing it again changes nothing. (The store once split such batches
into concurrent transactions; one transaction per batch is what makes an import crash-safe,
see graph/store.py.)"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from graph.model import Edge, Label, Node, RelType
from graph.stores.neo4j import Neo4jGraphStore
from tests.services import open_neo4j_store

pytestmark = pytest.mark.neo4j

#: Nodes of one label: more than an import batch of one file holds by default (5,000 rows).
NODES = 2_100
#: Firms per ownership chain; each chain is a group of edges no other chain touches.
CHAIN = 100
#: Edges of one type: NODES less one per chain, still above the threshold.
EDGES = NODES - NODES // CHAIN


class TransactionCounting(Neo4jGraphStore):
    """The real store, counting its write transactions."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.transactions = 0

    def _write(self, work: Any) -> Any:
        self.transactions += 1
        return super()._write(work)


@pytest.fixture
def store(neo4j_store: Neo4jGraphStore) -> Iterator[TransactionCounting]:
    """An empty test Neo4j (claimed through ``neo4j_store``) in a transaction-counting store."""
    neo4j_store.delete_all()
    counting = open_neo4j_store(TransactionCounting)
    yield counting
    counting.delete_all()
    counting.close()


def firms_and_holdings() -> tuple[list[Node], list[Edge]]:
    """NODES companies; in chains of CHAIN, each owns part of the next."""
    firms = [Node(f"F{i:05d}", Label.COMPANY, {"name": f"Firm {i}", "rank": i})
             for i in range(NODES)]
    edges = [Edge(RelType.OWNS, firms[i].id, firms[i + 1].id, props={"pct": 0.51})
             for i in range(NODES - 1) if (i + 1) % CHAIN]
    return firms, edges


def test_a_large_batch_is_written_in_one_transaction_exactly_once(
        store: TransactionCounting) -> None:
    firms, edges = firms_and_holdings()
    assert min(len(firms), len(edges)) >= 2_000

    written = store.upsert_batch(firms, edges)
    assert (written.nodes, written.edges, store.transactions) == (NODES, EDGES, 1)
    store.upsert_batch(firms, edges)  # again: an upsert, not an insert

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
