"""Every registered personal property comes back masked through GraphQL, unless the
request's context lets the caller see personal data (the hook OAuth roles will turn on)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from auth.audit_events import AuditAction
from auth.principal import Principal, Role
from graph.identifier_ids import identifier_node_id
from graph.model import Edge, Label, Node, RelType
from graph.personal_data import PERSONAL_PROPERTIES, mask_value
from graph.stores.embedded import EmbeddedGraphStore
from schema import LoanwatchSchema, build_context
from tests.principals import ListAuditSink, principal_of
from tests.schema.running import execute
from tests.schema.sample import sqlite_engine

KEY = b"schema-tests-identifier-key-0123456789"
PERSON = Node("P9", Label.PERSON, {
    "name": "Zhang Wei", "national_id": "330102197803150011", "birth_date": "1978-03-15",
    "gender": "M", "monthly_income": 85000.0, "city": "Hangzhou", "occupation": "teacher",
    "loss_buffer": 4800000.0, "email": "zhang.wei@example.com",
})
VALUES = {Label.PHONE: "+8613800138000", Label.ADDRESS: "12 wenyi road, xihu, hangzhou",
          Label.DEVICE: "imei 3569 8704 1122 334"}
IDENTIFIERS = [Node(identifier_node_id(label.value.lower(), value, KEY), label, {"value": value})
               for label, value in VALUES.items()]

QUERY = """
query Person($id: ID!) {
  party(id: $id) { id name properties { key value } }
  neighbourhood(id: $id, hops: 1) { nodes { id label name properties { key value } } }
  searchParties(text: "zhang", first: 5) { edges { node { id name } } }
}
"""


@pytest.fixture
def store(tmp_path: Path) -> Iterator[EmbeddedGraphStore]:
    backend = EmbeddedGraphStore(sqlite_engine(tmp_path / "graph.db"))
    backend.upsert_nodes([PERSON, *IDENTIFIERS])
    backend.upsert_edges([Edge(RelType.USES, PERSON.id, node.id) for node in IDENTIFIERS])
    yield backend
    backend.close()


def _run(schema: LoanwatchSchema, store: EmbeddedGraphStore, *, visible: bool,
         audit: ListAuditSink | None = None) -> Any:
    caller = principal_of(Role.INVESTIGATOR if visible else Role.ANALYST)

    async def run() -> Any:
        return await schema.execute(
            QUERY, variable_values={"id": PERSON.id}, operation_name="Person",
            context_value=build_context(store, principal=caller, audit=audit,
                                        request_id="req-1", source="10.0.0.7"))

    result = asyncio.run(run())
    assert result.errors is None, result.errors
    return result.data


def _shown(data: Any) -> dict[tuple[Label, str], str | None]:
    """What the response says of each registered property (``None`` when left out)."""
    nodes = {node["id"]: node for node in data["neighbourhood"]["nodes"]}
    shown = {}
    for entry in PERSONAL_PROPERTIES:
        node = nodes[PERSON.id] if entry.label is Label.PERSON else next(
            n for n in nodes.values() if n["label"] == entry.label.name)
        values = {p["key"]: p["value"] for p in node["properties"]}
        shown[(entry.label, entry.name)] = values.get(entry.name)
    return shown


def _stored(entry_label: Label, name: str) -> Any:
    return PERSON.props[name] if entry_label is Label.PERSON else VALUES[entry_label]


def test_every_personal_property_comes_back_masked(schema: LoanwatchSchema,
                                                   store: EmbeddedGraphStore) -> None:
    data = _run(schema, store, visible=False)

    for (label, name), shown in _shown(data).items():
        expected = mask_value(label, name, _stored(label, name))
        assert shown == (None if expected is None else str(expected)), (label, name)
    # Nothing personal anywhere in the response: not in names, ids or properties.
    text = json.dumps(data)
    for secret in ("Wei", "197803150", "03-15", "85000", "4800000", "13800138", "wenyi",
                   "3569", "zhang.wei"):
        assert secret not in text, secret
    assert data["party"]["name"] == "Zhang *"
    # A caller who may not search persons searches ids and company names only.
    assert data["searchParties"]["edges"] == []
    party_props = {p["key"]: p["value"] for p in data["party"]["properties"]}
    assert party_props == {"name": "Zhang *", "national_id": "330***********0011",
                           "birth_date": "1978", "city": "Hangzhou", "occupation": "teacher",
                           "email": "*****************.com"}


def test_a_context_that_may_see_personal_data_gets_it_whole(schema: LoanwatchSchema,
                                                            store: EmbeddedGraphStore) -> None:
    data = _run(schema, store, visible=True)

    for (label, name), shown in _shown(data).items():
        stored = _stored(label, name)
        assert shown == str(stored), (label, name)
    assert data["party"]["name"] == "Zhang Wei"
    assert data["searchParties"]["edges"] == [{"node": {"id": "P9", "name": "Zhang Wei"}}]


def test_personal_data_in_clear_is_audited_once_per_request(
        schema: LoanwatchSchema, store: EmbeddedGraphStore) -> None:
    audit = ListAuditSink()
    _run(schema, store, visible=True, audit=audit)

    assert [event.action for event in audit.events] == [AuditAction.READ_PERSONAL]
    event = audit.events[0]
    assert set(event.targets) == {PERSON.id, *(node.id for node in IDENTIFIERS)}
    assert len(event.targets) == len(set(event.targets))
    assert event.client_id == "investigator-client"
    assert event.user == "investigator-user"
    assert event.operation == "graphql Person"
    assert event.request_id == "req-1"
    assert event.source == "10.0.0.7"
    assert set(event.detail["fields"]) == {  # type: ignore[arg-type]
        "Person.name", "Person.properties", "GraphNode.name", "GraphNode.properties"}


def test_masked_answers_are_not_audited_as_reads_in_clear(
        schema: LoanwatchSchema, store: EmbeddedGraphStore) -> None:
    audit = ListAuditSink()
    _run(schema, store, visible=False, audit=audit)

    assert audit.events == []


def test_a_search_by_id_finds_a_person_without_the_right_to_search_persons(
        schema: LoanwatchSchema, store: EmbeddedGraphStore) -> None:
    result = execute(schema, store, 'query { searchParties(text: "p9") { edges { node { '
                     'id name } } } }')

    assert result.errors is None, result.errors
    assert result.data == {"searchParties": {"edges": [{"node": {"id": "P9",
                                                                 "name": "Zhang *"}}]}}


def test_personal_data_is_visible_with_the_read_personal_right_only(
        store: EmbeddedGraphStore) -> None:
    def visible(principal: Principal | None) -> bool:
        return build_context(store, principal=principal).personal_data_visible

    assert visible(None) is False
    assert visible(principal_of(Role.ANALYST)) is False
    assert visible(principal_of(Role.INVESTIGATOR)) is True
    assert visible(principal_of(Role.INVESTIGATOR, ["portfolio:read"])) is False
    assert visible(principal_of(Role.INTEGRATION, ["portfolio:read", "personal:read"])) is True
