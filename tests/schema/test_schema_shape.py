"""The schema's shape: every type and field described, every object with an id a Relay
``Node``, and global ids that round-trip whatever characters a key holds."""

from __future__ import annotations

import pytest
from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLNonNull,
    GraphQLObjectType,
    get_named_type,
)

from schema import LoanwatchSchema
from schema.errors import InvalidArgument
from schema.global_ids import RecordKind, parse_global_id, record_global_id

#: Types with an ``id`` that are views of another object, named by that object's id (a
#: Relay cache keeps one object per id, so they cannot be nodes of their own): the nodes of
#: a drawing or an evidence path, a ring's identifiers, stress rows; and scan results
#: numbered within their run.
NOT_NODES = {"EvidenceNode", "GraphNode", "SharedIdentifier", "StressedParty",
             "StressedLoan", "ScanRun", "GuaranteeCircle"}


def test_every_type_and_field_is_described(schema: LoanwatchSchema) -> None:
    missing = []
    for name, kind in schema._schema.type_map.items():
        if name.startswith("__"):
            continue
        if isinstance(kind, GraphQLObjectType | GraphQLInterfaceType | GraphQLInputObjectType):
            if not kind.description:
                missing.append(name)
            missing += [f"{name}.{field}" for field, definition in kind.fields.items()
                        if not definition.description]
        elif isinstance(kind, GraphQLEnumType) and not kind.description:
            missing.append(name)
    assert missing == []


def test_every_object_with_an_id_is_a_node(schema: LoanwatchSchema) -> None:
    node = schema._schema.get_type("Node")
    assert isinstance(node, GraphQLInterfaceType)
    objects = [kind for name, kind in schema._schema.type_map.items()
               if isinstance(kind, GraphQLObjectType) and not name.startswith("__")
               and "id" in kind.fields and name not in NOT_NODES]
    assert {"Person", "Company", "Loan", "Alert", "Installment", "Repayment", "Account",
            "Transaction", "Collateral", "ExternalEvent", "Identifier", "BureauSnapshot",
            "ImportBatch"} <= {kind.name for kind in objects}
    for kind in objects:
        assert node in kind.interfaces, kind.name
        field = kind.fields["id"].type
        assert isinstance(field, GraphQLNonNull) and get_named_type(field).name == "ID"
    query = schema._schema.query_type
    assert query is not None
    assert get_named_type(query.fields["node"].type) is node
    assert get_named_type(query.fields["nodes"].type) is node


@pytest.mark.parametrize("kind, parts", [
    (RecordKind.INSTALLMENT, ("LN/2024:7 %x", 12)),
    (RecordKind.TRANSACTION, ("A/1", "A:2", "2025-03")),
    (RecordKind.REPAYMENT, ("R:1/2",)),
    (RecordKind.ALERT, (17,)),
])
def test_a_record_id_round_trips(kind: RecordKind, parts: tuple) -> None:
    parsed = parse_global_id(record_global_id(kind, *parts))
    assert parsed.kind is kind
    assert parsed.parts == tuple(str(p) for p in parts)


def test_a_graph_id_is_its_own_global_id() -> None:
    for node_id in ("C00004230", "phone:45c95facb139", "alert:7", "Alerts:1"):
        parsed = parse_global_id(node_id)
        assert (parsed.kind, parsed.key) == (None, node_id)


@pytest.mark.parametrize("bad", ["", "Installment:L1", "Installment:L1/x", "Alert:x",
                                 "Transaction:A1/A2", "ImportBatch:", "Repayment:"])
def test_malformed_typed_ids_are_refused(bad: str) -> None:
    with pytest.raises(InvalidArgument):
        parse_global_id(bad)
