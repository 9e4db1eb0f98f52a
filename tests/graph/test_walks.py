"""A walk (:meth:`GraphStore.walk`) answers what ``get_nodes`` and ``edges_of`` answer, node
by node and hop by hop, on every backend: Neo4j in one statement, the others level by
level; and on a generated portfolio Neo4j's walks equal the embedded store's."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest
from neo4j import AsyncGraphDatabase, GraphDatabase

from graph.model import Edge, Label, Node, RelType
from graph.store import GraphStore
from graph.stores.embedded import EmbeddedGraphStore
from graph.stores.neo4j import Neo4jGraphStore
from graph.walks import MAX_WALK_DEPTH, MAX_WALK_HOPS, Hop, Walked
from tests.graph.test_neighbourhood_query import (  # noqa: F401 (module fixtures)
    _centers,
    embedded,
    neo4j,
    portfolio,
)
from tests.graph.test_store_contract import EDGES, NODES
from tests.services import NEO4J_URI

B, G, OWN, U = RelType.BORROWS, RelType.GUARANTEES, RelType.OWNS, RelType.USES

#: The borrower view of the benchmark: loans and their guarantors, guarantees given.
BORROWER = (Hop(B, "out", (Hop(G, "in"),)), Hop(G, "out"))
#: Loans, their guarantors, the guarantors' own loans and owners; owners; shared phones
#: (some hops reading only edges, not the nodes at their far ends).
WIDE = (Hop(B, "out", (Hop(G, "in", (Hop(B, "out", nodes=False), Hop(OWN, "in"))),
                       Hop(B, "in")), nodes=False),
        Hop(OWN, "in", (Hop(OWN, "in"),)), Hop(OWN, "out"),
        Hop(U, "out", (Hop(U, "in", nodes=False),)))


def reference(store: GraphStore, ids: Sequence[str], hops: Sequence[Hop]) -> Walked:
    """The walk read the slow way: one ``edges_of`` per node and hop, one ``get_node``
    per node."""
    walked = Walked()

    def visit(node_id: str, level: Sequence[Hop]) -> None:
        for hop in level:
            [found] = store.edges_of([node_id], {hop.type}, hop.direction)
            walked.edges[(node_id, hop.type, hop.direction)] = found
            for edge in found:
                far = edge.target if hop.direction == "out" else edge.source
                if hop.nodes:
                    walked.nodes[far] = store.get_node(far)
                visit(far, hop.then)

    for node_id in ids:
        walked.nodes[node_id] = store.get_node(node_id)
        if walked.nodes[node_id] is not None:
            visit(node_id, hops)
    return walked


@pytest.fixture
def loaded(store: GraphStore) -> GraphStore:
    store.upsert_nodes(NODES)
    # A company owning a share of itself: a self-loop, walked out and in.
    store.upsert_edges([*EDGES, Edge(OWN, "C2", "C2", props={"pct": 0.05})])
    return store


@pytest.mark.parametrize("hops", [(), BORROWER, WIDE], ids=["nodes", "borrower", "wide"])
def test_a_walk_reads_what_get_nodes_and_edges_of_read(loaded: GraphStore,
                                                       hops: tuple[Hop, ...]) -> None:
    starts = ["C1", "C2", "P1", "ghost", "C1", "L2"]
    walked = loaded.walk(starts, hops)
    assert walked == reference(loaded, starts, hops)
    assert walked.nodes["ghost"] is None and "ghost" not in {k[0] for k in walked.edges}


def test_the_borrower_walk_of_c1(loaded: GraphStore) -> None:
    walked = loaded.walk(["C1"], BORROWER)
    assert walked.edges[("C1", B, "out")] == [Edge(B, "C1", "L1")]
    assert walked.edges[("L1", G, "in")] == [
        Edge(G, "C2", "L1", props={"amount": 500000.0, "share": 1.0})]
    assert walked.edges[("C1", G, "out")] == [
        Edge(G, "C1", "L2", props={"amount": 400000.0, "share": 0.5})]
    assert sorted(walked.nodes) == ["C1", "C2", "L1", "L2"]
    assert walked.nodes["C2"] == Node("C2", Label.COMPANY,
                                      {"name": "Dongfang Steel", "size": "small"})


def test_a_hop_reading_only_edges_leaves_the_far_nodes_out(loaded: GraphStore) -> None:
    walked = loaded.walk(["C1"], (Hop(G, "out", nodes=False), Hop(B, "out")))
    assert walked.edges[("C1", G, "out")] == [
        Edge(G, "C1", "L2", props={"amount": 400000.0, "share": 0.5})]
    assert sorted(walked.nodes) == ["C1", "L1"]


def test_a_self_loop_is_walked_once_each_way(loaded: GraphStore) -> None:
    walked = loaded.walk(["C2"], (Hop(OWN, "out"), Hop(OWN, "in")))
    assert walked.edges[("C2", OWN, "out")] == [Edge(OWN, "C2", "C2", props={"pct": 0.05})]
    assert [e.source for e in walked.edges[("C2", OWN, "in")]] == ["C2", "C3"]


def test_an_empty_start_reads_nothing(loaded: GraphStore) -> None:
    assert loaded.walk([], BORROWER) == Walked()


def test_too_deep_or_too_large_a_walk_is_refused(loaded: GraphStore) -> None:
    deep = Hop(OWN, "in")
    for _ in range(MAX_WALK_DEPTH):
        deep = Hop(OWN, "in", (deep,))
    with pytest.raises(ValueError, match="deep"):
        loaded.walk(["C1"], (deep,))
    wide = tuple(Hop(B, "out") for _ in range(MAX_WALK_HOPS + 1))
    with pytest.raises(ValueError, match="at most"):
        loaded.walk(["C1"], wide)
    with pytest.raises(ValueError, match="'out' or 'in'"):
        Hop(B, "both")  # type: ignore[arg-type]


@pytest.mark.neo4j
def test_neo4j_walks_equal_the_embedded_stores(
        embedded: EmbeddedGraphStore, neo4j: Neo4jGraphStore) -> None:  # noqa: F811
    centers = _centers(embedded)
    assert len(centers) >= 8
    edges = 0
    for hops in (BORROWER, WIDE):
        for start in ([c] for c in centers):
            found = neo4j.walk(start, hops)
            assert found == embedded.walk(start, hops), (start, hops)
            edges += sum(len(e) for e in found.edges.values())
        many = neo4j.walk(centers, hops)
        assert many == embedded.walk(centers, hops)
    assert edges > 50  # the walks found something to compare


@pytest.mark.neo4j
def test_walks_read_on_an_event_loop_equal_the_stores(
        embedded: EmbeddedGraphStore, neo4j: Neo4jGraphStore) -> None:  # noqa: F811
    """The asynchronous driver's walks (what the API reads the views with) answer as the
    store's own; a store given no asynchronous driver, and the embedded store, have none."""
    assert neo4j.open_loop_walker() is None and embedded.open_loop_walker() is None
    looping = Neo4jGraphStore(
        GraphDatabase.driver(NEO4J_URI, auth=None), address=NEO4J_URI,
        async_driver=lambda: AsyncGraphDatabase.driver(NEO4J_URI, auth=None))
    centers = _centers(embedded)
    starts = [[c] for c in centers] + [centers, [], ["ghost", centers[0]]]

    async def walk_all() -> list[Walked]:
        walker = looping.open_loop_walker()
        assert walker is not None
        try:
            return [await walker.walk(start, hops) for hops in (BORROWER, WIDE)
                    for start in starts]
        finally:
            await walker.aclose()

    with looping:
        found = asyncio.run(walk_all())
    assert found == [neo4j.walk(start, hops) for hops in (BORROWER, WIDE) for start in starts]
    assert found[len(centers) + 1] == Walked() and found[-1].nodes["ghost"] is None
    assert sum(len(edges) for walked in found for edges in walked.edges.values()) > 50
