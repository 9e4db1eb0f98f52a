"""The contract every GraphStore backend passes: the same tests, run against each one."""

from __future__ import annotations

import threading

import pytest

from graph.errors import InvalidGraphElement, NodeNotFound
from graph.model import Edge, Label, Node, RelType
from graph.store import BatchWrite, GraphStore

G, B, OWN, H, U, T, D = (RelType.GUARANTEES, RelType.BORROWS, RelType.OWNS, RelType.HOLDS,
                       RelType.USES, RelType.TRANSFERS, RelType.DIRECTS)

NODES = [
    Node("P1", Label.PERSON, {"name": "Zhang Wei", "age": 41, "income": 18500.5, "vip": True}),
    Node("P2", Label.PERSON, {"name": "Li Na"}),
    Node("P3", Label.PERSON, {"name": "Wang Fang"}),
    Node("C1", Label.COMPANY, {"name": "Huaxin Trading", "size": "small"}),
    Node("C2", Label.COMPANY, {"name": "Dongfang Steel", "size": "small"}),
    Node("C3", Label.COMPANY, {"name": "Dongfang Holdings", "size": "large"}),
    Node("L1", Label.LOAN, {"principal": 500000.0}),
    Node("L2", Label.LOAN, {"principal": 800000.0}),
    Node("L3", Label.LOAN, {"principal": 20000.0}),
    Node("A1", Label.ACCOUNT, {"bank": "ICBC"}),
    Node("A2", Label.ACCOUNT, {"bank": "CCB"}),
    Node("phone:13800000000", Label.PHONE, {}),
]

EDGES = [
    Edge(B, "C1", "L1"), Edge(B, "C2", "L2"), Edge(B, "P1", "L3"),
    # C1 and C2 guarantee each other's loans: a mutual guarantee.
    Edge(G, "C2", "L1", props={"amount": 500000.0, "share": 1.0}),
    Edge(G, "C1", "L2", props={"amount": 400000.0, "share": 0.5}),
    Edge(G, "P2", "L3", props={"amount": 20000.0, "share": 1.0}),
    Edge(OWN, "C3", "C2", props={"pct": 0.6}), Edge(OWN, "P1", "C3", props={"pct": 0.8}),
    Edge(D, "P3", "C1"),
    Edge(H, "C1", "A1"), Edge(H, "C2", "A2"),
    Edge(T, "A1", "A2", key="2025-02", props={"amount": 120000.0, "count": 3}),
    Edge(T, "A1", "A2", key="2025-01", props={"amount": 90000.0, "count": 2}),
    Edge(U, "P1", "phone:13800000000"), Edge(U, "P2", "phone:13800000000"),
]


@pytest.fixture
def loaded(store: GraphStore) -> GraphStore:
    store.upsert_nodes(NODES)
    store.upsert_edges(EDGES)
    return store


def ids(nodes: list[Node]) -> list[str]:
    return [n.id for n in nodes]


# -- writes and reads ----------------------------------------------------------------------


def test_nodes_round_trip_with_their_property_types(loaded: GraphStore) -> None:
    node = loaded.get_node("P1")
    assert node == NODES[0]
    assert isinstance(node.props["age"], int) and isinstance(node.props["income"], float)
    assert node.props["vip"] is True


def test_get_nodes_keeps_order_and_marks_unknown_ids(loaded: GraphStore) -> None:
    found = loaded.get_nodes(["L2", "nope", "P3", "L2"])
    assert [n.id if n else None for n in found] == ["L2", None, "P3", "L2"]


def test_upserting_again_changes_nothing(loaded: GraphStore) -> None:
    before = loaded.count()
    loaded.upsert_nodes(NODES)
    loaded.upsert_edges(EDGES)
    assert loaded.count() == before
    assert before == {"Person": 3, "Company": 3, "Loan": 3, "Account": 2, "Phone": 1,
                      "BORROWS": 3, "GUARANTEES": 3, "OWNS": 2, "DIRECTS": 1, "HOLDS": 2,
                      "TRANSFERS": 2, "USES": 2}


def test_upsert_replaces_given_properties_and_keeps_the_others(loaded: GraphStore) -> None:
    loaded.upsert_nodes([Node("P1", Label.PERSON, {"income": 9000.0})])
    loaded.upsert_edges([Edge(G, "C1", "L2", props={"share": 0.25})])
    assert loaded.get_node("P1").props == {"name": "Zhang Wei", "age": 41, "income": 9000.0,
                                           "vip": True}
    [edge] = [e for e in loaded.edges_of(["C1"], [G])[0]]
    assert edge.props == {"amount": 400000.0, "share": 0.25}
    # The name was not given, so a search by name still finds the person.
    assert ids(loaded.search_parties("zhang")) == ["P1"]


def test_a_node_cannot_change_its_label(loaded: GraphStore) -> None:
    with pytest.raises(InvalidGraphElement, match="is a Person"):
        loaded.upsert_nodes([Node("P9", Label.PERSON, {"name": "New"}),
                             Node("P1", Label.COMPANY, {"name": "Renamed"})])
    assert loaded.get_node("P1") == NODES[0]
    assert loaded.get_node("P9") is None, "the batch must be all or nothing"


def test_a_dangling_edge_rejects_its_whole_batch(loaded: GraphStore) -> None:
    with pytest.raises(NodeNotFound, match="L404"):
        loaded.upsert_edges([Edge(G, "P3", "L1"), Edge(G, "P3", "L404")])
    assert loaded.edges_of(["P3"], [G]) == [[]]


def test_a_batch_writes_nodes_and_their_edges_together(store: GraphStore) -> None:
    written = store.upsert_batch(
        [Node("P1", Label.PERSON, {"name": "Zhang Wei"}), Node("L1", Label.LOAN, {})],
        [Edge(B, "P1", "L1")])

    assert written == BatchWrite(nodes=2, edges=1, retries=0)
    assert store.count() == {"Person": 1, "Loan": 1, "BORROWS": 1}


def test_a_batch_with_a_dangling_edge_writes_none_of_its_nodes(loaded: GraphStore) -> None:
    with pytest.raises(NodeNotFound, match="L404"):
        loaded.upsert_batch([Node("L9", Label.LOAN, {}), Node("P9", Label.PERSON, {})],
                            [Edge(B, "P9", "L9"), Edge(G, "P9", "L404")])
    assert loaded.get_nodes(["L9", "P9"]) == [None, None]


def test_a_batch_with_a_label_change_writes_none_of_its_edges(loaded: GraphStore) -> None:
    with pytest.raises(InvalidGraphElement, match="'C1' is a Company"):
        loaded.upsert_batch([Node("L9", Label.LOAN, {}), Node("C1", Label.PERSON, {})],
                            [Edge(B, "P3", "L9")])
    assert loaded.get_node("L9") is None
    assert loaded.edges_of(["P3"], [B]) == [[]]


def test_concurrent_writers_never_give_an_id_two_labels(store: GraphStore) -> None:
    """Two writers race to create the same ids as persons and as companies: each id ends
    with the label of whichever came first, and the other writer's batch is refused
    whole (it may also find the ids before its transaction, which is refused the same)."""
    for round_ in range(3):
        ids = [f"X{round_}-{i:04d}" for i in range(300)]
        start = threading.Barrier(2)
        outcomes: dict[Label, str] = {}

        def write(label: Label, ids: list[str] = ids, start: threading.Barrier = start,
                  outcomes: dict[Label, str] = outcomes) -> None:
            start.wait()
            try:
                store.upsert_batch([Node(i, label, {"name": label.value}) for i in ids], [])
                outcomes[label] = "written"
            except InvalidGraphElement:
                outcomes[label] = "refused"

        writers = [threading.Thread(target=write, args=(label,))
                   for label in (Label.PERSON, Label.COMPANY)]
        for writer in writers:
            writer.start()
        for writer in writers:
            writer.join()

        assert sorted(outcomes.values()) == ["refused", "written"]
        [winner] = [label for label, outcome in outcomes.items() if outcome == "written"]
        assert set(store.labels_of(ids).values()) == {winner}
        assert {n.props["name"] for n in store.get_nodes(ids) if n} == {winner.value}


def test_endpoint_labels_are_checked(loaded: GraphStore) -> None:
    with pytest.raises(InvalidGraphElement, match="cannot end at a Person"):
        loaded.upsert_edges([Edge(G, "C1", "P2")])
    with pytest.raises(InvalidGraphElement, match="property 'amount' has type dict"):
        loaded.upsert_edges([Edge(G, "C1", "L3", props={"amount": {"x": 1}})])


def test_labels_of_names_only_existing_ids(loaded: GraphStore) -> None:
    assert loaded.labels_of({"P1", "L3", "ghost"}) == {"P1": Label.PERSON, "L3": Label.LOAN}


def test_edges_of_by_direction(loaded: GraphStore) -> None:
    out, inc, both = (loaded.edges_of(["C2", "L1"], direction=d) for d in ("out", "in", "both"))
    assert [e.identity for e in out[0]] == [("BORROWS", "C2", "L2", ""),
                                            ("GUARANTEES", "C2", "L1", ""),
                                            ("HOLDS", "C2", "A2", "")]
    assert out[1] == []
    assert [e.identity for e in inc[0]] == [("OWNS", "C3", "C2", "")]
    assert [e.identity for e in inc[1]] == [("BORROWS", "C1", "L1", ""),
                                            ("GUARANTEES", "C2", "L1", "")]
    assert len(both[0]) == 4 and len(both[1]) == 2
    with pytest.raises(ValueError, match="direction"):
        loaded.edges_of(["C2"], direction="sideways")  # type: ignore[arg-type]


# -- search --------------------------------------------------------------------------------


def test_search_matches_name_or_id_ignoring_case(loaded: GraphStore) -> None:
    assert ids(loaded.search_parties("DONGFANG")) == ["C3", "C2"]  # ordered by name
    assert ids(loaded.search_parties("p")) == ["P2", "P3", "P1"]  # Li, Wang, Zhang
    assert ids(loaded.search_parties("dongfang", limit=1)) == ["C3"]


def test_search_puts_an_exact_id_first_and_finds_only_parties(loaded: GraphStore) -> None:
    loaded.upsert_nodes([Node("C10", Label.COMPANY, {"name": "Alpha C1 Partners"})])
    assert ids(loaded.search_parties("c1")) == ["C1", "C10"]
    assert loaded.search_parties("L1") == []  # loans are not parties
    assert loaded.search_parties("   ") == []


def test_search_treats_wildcards_literally(loaded: GraphStore) -> None:
    loaded.upsert_nodes([Node("P_100%", Label.PERSON, {"name": "Odd_Name 100%"})])
    assert ids(loaded.search_parties("_100%")) == ["P_100%"]
    assert ids(loaded.search_parties("d_n")) == ["P_100%"]


def test_party_ids_where_matches_any_key_ignoring_case_and_spaces(
        loaded: GraphStore) -> None:
    loaded.upsert_nodes([
        Node("C4", Label.COMPANY, {"name": "Sea Ltd", "sector": " Wholesale ", "city": "Ningbo"}),
        Node("C5", Label.COMPANY, {"sector": "wholesale_trade", "province": "Zhejiang"}),
        Node("P4", Label.PERSON, {"province": "zhejiang", "city": "Hangzhou"}),
        Node("P5", Label.PERSON, {"city": "ZHEJIANG", "sector": 7}),
        Node("L9", Label.LOAN, {"province": "Zhejiang"}),  # not a party
    ])
    assert loaded.party_ids_where(["sector"], "WHOLESALE") == ["C4"]
    assert loaded.party_ids_where(["province", "city"], "Zhejiang") == ["C5", "P4", "P5"]
    assert loaded.party_ids_where(["province", "city"], "浙江") == []
    assert loaded.party_ids_where(["sector"], "7") == []  # a number is not the text "7"
    with pytest.raises(ValueError, match="at least one"):
        loaded.party_ids_where([], "x")
    with pytest.raises(ValueError, match="'id'"):
        loaded.party_ids_where(["id"], "C1")


# -- neighbourhood -------------------------------------------------------------------------


def test_one_hop_neighbourhood(loaded: GraphStore) -> None:
    sub = loaded.neighbourhood("C1", hops=1)
    assert ids(sub.nodes) == ["C1", "A1", "L1", "L2", "P3"]
    assert [e.identity for e in sub.edges] == [
        ("BORROWS", "C1", "L1", ""), ("DIRECTS", "P3", "C1", ""),
        ("GUARANTEES", "C1", "L2", ""), ("HOLDS", "C1", "A1", ""),
    ]
    assert not sub.truncated


def test_two_hop_neighbourhood_filtered_by_type(loaded: GraphStore) -> None:
    sub = loaded.neighbourhood("C1", hops=2, types=[B, G])
    assert ids(sub.nodes) == ["C1", "L1", "L2", "C2"]
    assert {e.identity for e in sub.edges} == {
        ("BORROWS", "C1", "L1", ""), ("BORROWS", "C2", "L2", ""),
        ("GUARANTEES", "C1", "L2", ""), ("GUARANTEES", "C2", "L1", ""),
    }


def test_neighbourhood_enters_only_allowed_labels(loaded: GraphStore) -> None:
    sub = loaded.neighbourhood("P2", hops=3, labels=[Label.PERSON, Label.PHONE, Label.COMPANY])
    assert ids(sub.nodes) == ["P2", "phone:13800000000", "P1", "C3"]


def test_neighbourhood_limit_cuts_in_breadth_first_id_order(loaded: GraphStore) -> None:
    sub = loaded.neighbourhood("C1", hops=3, limit=6)
    assert ids(sub.nodes) == ["C1", "A1", "L1", "L2", "P3", "A2"]
    assert sub.truncated
    assert all(e.source in ids(sub.nodes) and e.target in ids(sub.nodes) for e in sub.edges)
    assert len(sub.edges) == 6  # four around C1 and the two monthly A1->A2 transfers


def test_neighbourhood_parallel_edges_are_all_returned(loaded: GraphStore) -> None:
    sub = loaded.neighbourhood("A1", hops=1, types=[T])
    assert [e.key for e in sub.edges] == ["2025-01", "2025-02"]


def test_neighbourhood_errors(loaded: GraphStore) -> None:
    with pytest.raises(NodeNotFound):
        loaded.neighbourhood("ghost")
    with pytest.raises(ValueError, match="hops"):
        loaded.neighbourhood("C1", hops=7)
    with pytest.raises(ValueError, match="limit"):
        loaded.neighbourhood("C1", limit=0)
    assert ids(loaded.neighbourhood("C1", hops=0).nodes) == ["C1"]


# -- shortest paths ------------------------------------------------------------------------


def test_all_shortest_paths_sorted_by_node_ids(loaded: GraphStore) -> None:
    paths = loaded.shortest_paths("C1", "C3")
    assert [ids(p.nodes) for p in paths] == [["C1", "L1", "C2", "C3"], ["C1", "L2", "C2", "C3"]]
    assert [e.identity for e in paths[1].edges] == [
        ("GUARANTEES", "C1", "L2", ""), ("BORROWS", "C2", "L2", ""), ("OWNS", "C3", "C2", ""),
    ]
    assert paths[0].length == 3


def test_shortest_paths_through_a_guarantee_and_a_shared_phone(loaded: GraphStore) -> None:
    paths = loaded.shortest_paths("P2", "P1")
    assert [ids(p.nodes) for p in paths] == [["P2", "L3", "P1"],
                                             ["P2", "phone:13800000000", "P1"]]
    assert [e.type for e in paths[1].edges] == [U, U]


def test_shortest_path_respects_types_and_hop_limit(loaded: GraphStore) -> None:
    assert loaded.shortest_paths("C1", "C3", types=[B, OWN]) == []
    assert loaded.shortest_paths("C1", "C3", max_hops=2) == []
    assert len(loaded.shortest_paths("C1", "C3", max_hops=3)) == 2
    assert len(loaded.shortest_paths("C1", "C3", limit=1)) == 1


def test_parallel_edges_give_one_path_over_the_smallest_edge(loaded: GraphStore) -> None:
    [path] = loaded.shortest_paths("A2", "A1")
    assert [e.key for e in path.edges] == ["2025-01"]


def test_shortest_path_edge_cases(loaded: GraphStore) -> None:
    [same] = loaded.shortest_paths("P3", "P3")
    assert ids(same.nodes) == ["P3"] and same.edges == []
    with pytest.raises(NodeNotFound, match="ghost"):
        loaded.shortest_paths("P3", "ghost")
    loaded.upsert_nodes([Node("P404", Label.PERSON, {"name": "Alone"})])
    assert loaded.shortest_paths("P3", "P404") == []


# -- projection and housekeeping -----------------------------------------------------------


def test_projection_into_networkx(loaded: GraphStore) -> None:
    graph = loaded.project([G, B])
    assert sorted(graph.nodes) == ["C1", "C2", "L1", "L2", "L3", "P1", "P2"]
    assert graph.nodes["C1"]["label"] == "Company" and graph.nodes["C1"]["size"] == "small"
    assert graph.edges["C1", "L2", ""] == {"type": "GUARANTEES", "amount": 400000.0,
                                           "share": 0.5}
    assert graph.number_of_edges() == 6


def test_projection_filters_labels_and_keeps_parallel_edges(loaded: GraphStore) -> None:
    graph = loaded.project([T, H], labels=[Label.ACCOUNT])
    assert sorted(graph.edges(keys=True)) == [("A1", "A2", "2025-01"), ("A1", "A2", "2025-02")]
    assert loaded.project([]).number_of_nodes() == 0


def test_iter_edges_reads_chosen_properties_in_batches(loaded: GraphStore) -> None:
    batches = list(loaded.iter_edges([G, B], props=["amount", "absent"],
                                     source_props=["size"], target_props=["principal"],
                                     batch_size=2))
    assert all(1 <= len(batch) <= 2 for batch in batches) and len(batches) >= 3
    rows = sorted(row for batch in batches for row in batch)
    assert rows == [
        ("BORROWS", "C1", "L1", "", (None, None, "small", 500000.0)),
        ("BORROWS", "C2", "L2", "", (None, None, "small", 800000.0)),
        ("BORROWS", "P1", "L3", "", (None, None, None, 20000.0)),
        ("GUARANTEES", "C1", "L2", "", (400000.0, None, "small", 800000.0)),
        ("GUARANTEES", "C2", "L1", "", (500000.0, None, "small", 500000.0)),
        ("GUARANTEES", "P2", "L3", "", (20000.0, None, None, 20000.0)),
    ]


def test_iter_edges_keeps_keys_and_reads_no_properties_unasked(loaded: GraphStore) -> None:
    rows = sorted(row for batch in loaded.iter_edges([T]) for row in batch)
    assert rows == [("TRANSFERS", "A1", "A2", "2025-01", ()),
                    ("TRANSFERS", "A1", "A2", "2025-02", ())]
    assert list(loaded.iter_edges([])) == []
    with pytest.raises(ValueError, match="batch_size"):
        list(loaded.iter_edges([T], batch_size=0))


def test_delete_all_empties_the_store(loaded: GraphStore) -> None:
    loaded.delete_all()
    assert loaded.count() == {}
    assert loaded.get_node("P1") is None
