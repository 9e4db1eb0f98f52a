"""Re-keying identifier nodes of a graph written by the first release, on every backend."""

from __future__ import annotations

import pytest

from graph.identifier_ids import identifier_node_id
from graph.model import Edge, Label, Node, RelType
from graph.store import GraphStore
from graph.upgrades.identifier_keys import IdentifierRekeyReport, rekey_identifier_nodes

KEY = b"graph-tests-identifier-key-0123456789"
OTHER_KEY = b"graph-tests-other-identifier-key-012345"
PARTIES = [Node("P1", Label.PERSON, {"name": "Zhang Wei"}),
           Node("P2", Label.PERSON, {"name": "Li Na"}),
           Node("C1", Label.COMPANY, {"name": "Silk Co"})]
#: As the first release wrote them: the normalised value in the id and in ``value``.
LEGACY = [Node("phone:+8613800138000", Label.PHONE, {"value": "+8613800138000"}),
          Node("address:12 wenyi road, hangzhou", Label.ADDRESS,
               {"value": "12 wenyi road, hangzhou"}),
          Node("device:imei 3569 8704", Label.DEVICE, {"value": "imei 3569 8704"}),
          # A node that lost its value property: the id still holds it.
          Node("phone:057188886666", Label.PHONE, {})]
LEGACY_USES = [Edge(RelType.USES, "P1", "phone:+8613800138000", props={"since": "2020"}),
               Edge(RelType.USES, "P2", "phone:+8613800138000"),
               Edge(RelType.USES, "P1", "address:12 wenyi road, hangzhou"),
               Edge(RelType.USES, "P2", "device:imei 3569 8704"),
               Edge(RelType.USES, "C1", "phone:057188886666")]


def _keyed(kind: str, value: str, key: bytes = KEY) -> str:
    return identifier_node_id(kind, value, key)


def _uses(store: GraphStore) -> set[tuple[str, str, tuple]]:
    parties = store.edges_of([p.id for p in PARTIES], [RelType.USES], direction="out")
    return {(e.source, e.target, tuple(sorted(e.props.items())))
            for edges in parties for e in edges}


@pytest.fixture
def legacy(store: GraphStore) -> GraphStore:
    store.upsert_nodes([*PARTIES, *LEGACY])
    store.upsert_edges(LEGACY_USES)
    return store


def test_legacy_ids_become_keyed_and_the_edges_follow(legacy: GraphStore) -> None:
    report = rekey_identifier_nodes(legacy, KEY, renames_per_transaction=2)

    assert report == IdentifierRekeyReport(examined=4, rekeyed=4)
    phone = _keyed("phone", "+8613800138000")
    assert _uses(legacy) == {
        ("P1", phone, (("since", "2020"),)), ("P2", phone, ()),
        ("P1", _keyed("address", "12 wenyi road, hangzhou"), ()),
        ("P2", _keyed("device", "imei 3569 8704"), ()),
        ("C1", _keyed("phone", "057188886666"), ()),
    }
    assert legacy.get_nodes([phone, _keyed("phone", "057188886666")]) == [
        Node(phone, Label.PHONE, {"value": "+8613800138000"}),
        Node(_keyed("phone", "057188886666"), Label.PHONE, {"value": "057188886666"})]
    assert legacy.labels_of([node.id for node in LEGACY]) == {}
    assert legacy.count() == {"Person": 2, "Company": 1, "Phone": 2, "Address": 1,
                              "Device": 1, "USES": 5}


def test_a_second_run_changes_nothing(legacy: GraphStore) -> None:
    rekey_identifier_nodes(legacy, KEY)
    before = (legacy.count(), _uses(legacy))

    assert rekey_identifier_nodes(legacy, KEY) == IdentifierRekeyReport(examined=4, rekeyed=0)
    assert (legacy.count(), _uses(legacy)) == before


def test_a_legacy_node_merges_into_the_keyed_node_a_newer_import_wrote(
    legacy: GraphStore,
) -> None:
    phone = _keyed("phone", "+8613800138000")
    legacy.upsert_nodes([Node(phone, Label.PHONE, {"value": "+8613800138000"})])
    legacy.upsert_edges([Edge(RelType.USES, "C1", phone)])

    rekey_identifier_nodes(legacy, KEY)

    (uses,) = legacy.edges_of([phone], [RelType.USES])
    assert [edge.source for edge in uses] == ["C1", "P1", "P2"]
    assert legacy.count()["Phone"] == 2


def test_a_new_key_re_keys_what_the_old_key_wrote(legacy: GraphStore) -> None:
    rekey_identifier_nodes(legacy, KEY)

    report = rekey_identifier_nodes(legacy, OTHER_KEY)

    assert report.rekeyed == 4
    assert ("P2", _keyed("device", "imei 3569 8704", OTHER_KEY), ()) in _uses(legacy)


def test_a_node_without_any_value_is_left_alone_and_counted(store: GraphStore) -> None:
    keyed_looking = "device:" + "ab" * 16
    store.upsert_nodes([Node(keyed_looking, Label.DEVICE, {})])

    report = rekey_identifier_nodes(store, KEY)

    assert report == IdentifierRekeyReport(examined=1, rekeyed=0, unreadable=(keyed_looking,))
    assert store.get_node(keyed_looking) is not None
