"""neighbourhood and shortestPaths: the generic graph, nodes and edges."""

from __future__ import annotations

from schema import LoanwatchSchema
from tests.schema.running import codes, execute
from tests.schema.sample import CountingStore

NEIGHBOURHOOD = """
query Around($id: ID!, $hops: Int!, $labels: [Label!], $types: [RelType!], $limit: Int!) {
  neighbourhood(id: $id, hops: $hops, labels: $labels, types: $types, limit: $limit) {
    truncated
    nodes { id label name }
    edges { type source target key properties { key value } }
  }
}
"""

PATHS = """
query Paths($source: ID!, $target: ID!, $maxHops: Int!, $types: [RelType!]) {
  shortestPaths(source: $source, target: $target, maxHops: $maxHops, types: $types) {
    length nodes { id } edges { type source target }
  }
}
"""


def around(schema: LoanwatchSchema, store: CountingStore, **arguments: object) -> dict:
    variables = {"hops": 1, "labels": None, "types": None, "limit": 200, **arguments}
    result = execute(schema, store, NEIGHBOURHOOD, **variables)
    assert result.errors is None, result.errors
    return result.data["neighbourhood"]


def test_neighbourhood_returns_nodes_and_the_edges_among_them(schema: LoanwatchSchema,
                                                              store: CountingStore) -> None:
    found = around(schema, store, id="P1")
    assert found["truncated"] is False
    assert [(n["id"], n["label"], n["name"]) for n in found["nodes"]] == [
        ("P1", "PERSON", "Zhang *"), ("L3", "LOAN", None), ("phone:13800000000", "PHONE", None),
    ]
    assert [(e["type"], e["source"], e["target"], e["key"]) for e in found["edges"]] == [
        ("BORROWS", "P1", "L3", ""), ("USES", "P1", "phone:13800000000", ""),
    ]


def test_neighbourhood_filters_by_label_and_type_and_truncates(schema: LoanwatchSchema,
                                                               store: CountingStore) -> None:
    companies = around(schema, store, id="C2", hops=2, labels=["COMPANY", "LOAN"],
                       types=["GUARANTEES", "BORROWS"])
    assert [n["id"] for n in companies["nodes"]] == ["C2", "L1", "L2", "C1", "C3"]
    guarantee = next(e for e in companies["edges"] if e["source"] == "C3")
    # Amounts are shown as their exact text; the minor units and the float stay inside.
    assert guarantee["properties"] == [{"key": "amount", "value": "200000.00"},
                                       {"key": "amount_currency", "value": "CNY"},
                                       {"key": "kind", "value": "single"},
                                       {"key": "share", "value": "0.25"}]
    limited = around(schema, store, id="C2", hops=2, limit=2)
    assert limited["truncated"] is True
    assert [n["id"] for n in limited["nodes"]] == ["C2", "C3"]


def test_neighbourhood_of_an_unknown_id_is_not_found(schema: LoanwatchSchema,
                                                     store: CountingStore) -> None:
    result = execute(schema, store, NEIGHBOURHOOD, id="X", hops=1, limit=10)
    assert codes(result) == ["NOT_FOUND"]
    assert result.data is None


def test_neighbourhood_rejects_bad_bounds(schema: LoanwatchSchema,
                                          store: CountingStore) -> None:
    deep = execute(schema, store, NEIGHBOURHOOD, id="C1", hops=-1, limit=10)
    wide = execute(schema, store, NEIGHBOURHOOD, id="C1", hops=1, limit=0)
    assert codes(deep) == codes(wide) == ["BAD_USER_INPUT"]
    assert wide.errors[0].message == "limit must be between 1 and 2000, got 0"


def test_shortest_paths_between_two_parties(schema: LoanwatchSchema,
                                            store: CountingStore) -> None:
    result = execute(schema, store, PATHS, source="C1", target="C3", maxHops=4,
                     types=["GUARANTEES"])
    assert result.errors is None
    assert result.data["shortestPaths"] == [{
        "length": 2,
        "nodes": [{"id": "C1"}, {"id": "L2"}, {"id": "C3"}],
        "edges": [{"type": "GUARANTEES", "source": "C1", "target": "L2"},
                  {"type": "GUARANTEES", "source": "C3", "target": "L2"}],
    }]


def test_no_path_within_reach_is_an_empty_list(schema: LoanwatchSchema,
                                               store: CountingStore) -> None:
    result = execute(schema, store, PATHS, source="C1", target="P1", maxHops=6)
    assert result.errors is None
    assert result.data["shortestPaths"] == []


def test_paths_need_both_ends_to_exist(schema: LoanwatchSchema, store: CountingStore) -> None:
    result = execute(schema, store, PATHS, source="C1", target="nobody", maxHops=3)
    assert codes(result) == ["NOT_FOUND"]
    assert result.errors[0].message == "no node with id 'nobody'"
