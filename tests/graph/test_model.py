"""The graph model refuses elements that no backend could store faithfully."""

from __future__ import annotations

import pytest

from graph.errors import InvalidGraphElement
from graph.model import Edge, Label, Node, RelType, validate_edge, validate_node


@pytest.mark.parametrize(
    ("node", "message"),
    [
        (Node("", Label.PERSON), "node: id must be a non-empty string"),
        (Node("x" * 129, Label.PERSON), "id is longer than 128 characters"),
        (Node("P1", "Person"), "unknown label 'Person'"),  # type: ignore[arg-type]
        (Node("P1", Label.PERSON, {"search_text": "x"}), "'search_text' is reserved"),
        (Node("P1", Label.PERSON, {"_secret": 1}), "must be a non-empty string that does not"),
        (Node("P1", Label.PERSON, {"tags": ["a"]}), "'tags' has type list"),
        (Node("P1", Label.PERSON, {"income": None}), "'income' has type NoneType"),
    ],
)
def test_bad_nodes_are_named(node: Node, message: str) -> None:
    with pytest.raises(InvalidGraphElement, match=message):
        validate_node(node)


def test_a_good_node_passes() -> None:
    validate_node(Node("P1", Label.PERSON, {"name": "Li Na", "age": 30, "vip": False}))


def test_edge_endpoint_labels_follow_the_type() -> None:
    edge = Edge(RelType.DIRECTS, "C1", "C2")
    validate_edge(edge)  # the shape is fine; the labels decide
    with pytest.raises(InvalidGraphElement, match="cannot start at a Company; allowed: Person"):
        validate_edge(edge, Label.COMPANY, Label.COMPANY)
    with pytest.raises(InvalidGraphElement, match="BORROWS edge 'P1'->'' target: id must be"):
        validate_edge(Edge(RelType.BORROWS, "P1", ""))
