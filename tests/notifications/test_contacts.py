"""A party's name, e-mail address and phone number, read from each real graph store
(embedded on SQLite and PostgreSQL, Neo4j) the way a delivery reads them."""

from __future__ import annotations

import pytest

from graph.identifier_ids import identifier_node_id
from graph.model import Edge, Label, Node, RelType
from graph.store import GraphStore
from notifications.contacts import Contact, GraphContacts, address_for
from notifications.errors import ChannelError
from tests.graph.conftest import postgres_graph_store, store

__all__ = ["postgres_graph_store", "store"]

_KEY = b"notification-tests-identifier-key-0123"


def _phone(value: str) -> Node:
    return Node(identifier_node_id("phone", value, _KEY), Label.PHONE, {"value": value})


def test_contacts_come_from_the_graph(store: GraphStore) -> None:
    first, second = _phone("+8613800000002"), _phone("+8613800000001")
    low, high = sorted([first, second], key=lambda node: node.id)
    store.upsert_nodes([Node("P1", Label.PERSON, {"name": "Li Na", "email": "li@example.com"}),
                        Node("C1", Label.COMPANY, {"name": "Silk Co"}),
                        Node("L1", Label.LOAN, {}), first, second])
    store.upsert_edges([Edge(RelType.USES, "P1", first.id), Edge(RelType.USES, "P1", second.id),
                        Edge(RelType.BORROWS, "C1", "L1")])
    contacts = GraphContacts(store)

    person = contacts.contact("P1")
    # The phone of the lowest node id: the same choice on every store, every time.
    assert person == Contact("P1", "Li Na", "li@example.com", str(low.props["value"]))
    assert high.props["value"] != person.phone
    assert address_for(person, "email") == "li@example.com"
    assert address_for(person, "sms") == address_for(person, "chat") == person.phone
    assert contacts.contact("C1") == Contact("C1", "Silk Co", None, None)
    with pytest.raises(ChannelError, match="party L1 is not in the graph") as refused:
        contacts.contact("L1")
    assert refused.value.permanent
    with pytest.raises(ChannelError, match="party P9 is not in the graph"):
        contacts.contact("P9")


def test_a_batch_of_parties_costs_three_store_reads(store: GraphStore,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    phones = [_phone(f"+86138000000{i:02d}") for i in range(4)]
    store.upsert_nodes([*(Node(f"P{i}", Label.PERSON, {"name": f"Person {i}"})
                          for i in range(4)), Node("L1", Label.LOAN, {}), *phones])
    store.upsert_edges([Edge(RelType.USES, f"P{i}", phones[i].id) for i in range(3)])
    calls: list[str] = []
    for name in ("get_nodes", "edges_of"):
        method = getattr(store, name)

        def counted(*args: object, _method: object = method, _name: str = name) -> object:
            calls.append(_name)
            return _method(*args)  # type: ignore[operator]
        monkeypatch.setattr(store, name, counted)  # the real method, counted; put back after

    found = GraphContacts(store).contacts(["P0", "P1", "P2", "P3", "L1", "P9", "P1"])
    assert sorted(calls) == ["edges_of", "get_nodes", "get_nodes"]
    assert sorted(found) == ["P0", "P1", "P2", "P3"]  # the loan and the unknown id absent
    assert [found[f"P{i}"].phone for i in range(4)] == [
        *(str(phones[i].props["value"]) for i in range(3)), None]
