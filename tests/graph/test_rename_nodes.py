"""Renaming nodes (the primitive of upgrades that re-key stored nodes), on every backend."""

from __future__ import annotations

import pytest

from graph.errors import InvalidGraphElement
from graph.model import Edge, Label, Node, RelType
from graph.store import GraphStore

U, T = RelType.USES, RelType.TRANSFERS
PARTIES = [Node("P1", Label.PERSON, {"name": "Zhang Wei"}),
           Node("P2", Label.PERSON, {"name": "Li Na"})]


def _write(store: GraphStore, nodes: list[Node], edges: list[Edge]) -> None:
    store.upsert_nodes(nodes)
    store.upsert_edges(edges)


def _edges(store: GraphStore, node_id: str) -> list[tuple[str, str, str, str, dict]]:
    (edges,) = store.edges_of([node_id])
    return [(e.type.value, e.source, e.target, e.key, e.props) for e in edges]


def test_a_renamed_node_keeps_its_label_properties_and_edges(store: GraphStore) -> None:
    _write(store, [*PARTIES, Node("phone:+861", Label.PHONE, {"value": "+861"})],
           [Edge(U, "P1", "phone:+861", props={"since": "2024"}), Edge(U, "P2", "phone:+861")])

    assert store.rename_nodes({"phone:+861": "phone:abc"}) == 1

    assert store.get_nodes(["phone:+861", "phone:abc"]) == [
        None, Node("phone:abc", Label.PHONE, {"value": "+861"})]
    assert _edges(store, "phone:abc") == [("USES", "P1", "phone:abc", "", {"since": "2024"}),
                                          ("USES", "P2", "phone:abc", "", {})]
    assert store.edges_of(["phone:+861"]) == [[]]
    assert store.count() == {"Person": 2, "Phone": 1, "USES": 2}
    # The old id is not searchable any more, and renaming again changes nothing.
    assert store.rename_nodes({"phone:+861": "phone:abc"}) == 0
    assert store.count() == {"Person": 2, "Phone": 1, "USES": 2}


def test_renaming_onto_an_existing_node_merges_the_two(store: GraphStore) -> None:
    _write(store, [*PARTIES, Node("phone:+861", Label.PHONE, {"value": "+861", "old": True}),
                   Node("phone:abc", Label.PHONE, {"value": "+861", "new": True})],
           [Edge(U, "P1", "phone:+861", props={"n": 1}), Edge(U, "P2", "phone:+861"),
            Edge(U, "P1", "phone:abc", props={"n": 2, "m": 3})])

    assert store.rename_nodes({"phone:+861": "phone:abc"}) == 1

    assert store.get_node("phone:abc") == Node("phone:abc", Label.PHONE,
                                               {"value": "+861", "old": True, "new": True})
    assert _edges(store, "phone:abc") == [("USES", "P1", "phone:abc", "", {"n": 1, "m": 3}),
                                          ("USES", "P2", "phone:abc", "", {})]
    assert store.count() == {"Person": 2, "Phone": 1, "USES": 2}


def test_edges_between_two_renamed_nodes_and_self_loops_follow_both_ends(
    store: GraphStore,
) -> None:
    accounts = [Node(i, Label.ACCOUNT, {"bank": "ICBC"}) for i in ("A1", "A2")]
    _write(store, accounts, [Edge(T, "A1", "A2", "2024-03", {"amount": 5.0}),
                             Edge(T, "A2", "A1", "2024-04", {"amount": 6.0}),
                             Edge(T, "A1", "A1", "2024-05", {"amount": 7.0})])

    assert store.rename_nodes({"A1": "X1", "A2": "X2"}) == 2

    assert store.edges_of(["X1"], direction="out") == [[
        Edge(T, "X1", "X1", "2024-05", {"amount": 7.0}),
        Edge(T, "X1", "X2", "2024-03", {"amount": 5.0})]]
    assert store.edges_of(["X2"], direction="out") == [[
        Edge(T, "X2", "X1", "2024-04", {"amount": 6.0})]]
    assert store.count() == {"Account": 2, "TRANSFERS": 3}


def test_bad_renames_are_refused_before_anything_changes(store: GraphStore) -> None:
    _write(store, [*PARTIES, Node("phone:+861", Label.PHONE, {"value": "+861"})],
           [Edge(U, "P1", "phone:+861")])
    before = store.count()

    with pytest.raises(InvalidGraphElement, match="that id is a Person"):
        store.rename_nodes({"phone:+861": "P2"})
    with pytest.raises(InvalidGraphElement, match="id is longer than"):
        store.rename_nodes({"phone:+861": "x" * 200})
    with pytest.raises(ValueError, match="both renamed and renamed to"):
        store.rename_nodes({"phone:+861": "P1", "P1": "P9"})

    assert store.count() == before
    assert store.rename_nodes({"nobody": "somebody", "P1": "P1"}) == 0


def test_nodes_with_label_lists_one_label_sorted(store: GraphStore) -> None:
    _write(store, [*PARTIES, Node("phone:2", Label.PHONE, {"value": "2"}),
                   Node("phone:1", Label.PHONE, {"value": "1"})], [])

    assert store.nodes_with_label(Label.PHONE) == [Node("phone:1", Label.PHONE, {"value": "1"}),
                                                   Node("phone:2", Label.PHONE, {"value": "2"})]
    assert store.nodes_with_label(Label.DEVICE) == []
