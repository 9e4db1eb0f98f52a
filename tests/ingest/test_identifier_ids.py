"""Phone, address and device nodes are keyed by a keyed hash of the value, not the value."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import Engine

from graph.identifier_ids import identifier_node_id
from graph.model import Label, RelType
from graph.stores.embedded import EmbeddedGraphStore
from ingest.catalog import ENTITY_SPECS
from ingest.entities.links import IDENTIFIERS, with_identifier_key
from ingest.specs import BatchOutput
from tests.ingest.importing import TEST_IDENTIFIER_KEY, import_files, write

IDENTIFIERS_CSV = """
    party_id,kind,value
    P1,phone,+86 138-0013-8000
    P2,phone,(+86) 13800138000
    P1,address,"12  Wenyi Road,  Hangzhou"
    P2,device,IMEI 3569 8704
"""
OTHER_KEY = b"another-identifier-key-of-forty-characters"


def _import(tmp_path: Path, engine: Engine, graph: EmbeddedGraphStore,
            key: bytes = TEST_IDENTIFIER_KEY) -> None:
    files = [write(tmp_path, "persons.csv", "id,name\nP1,Zhang Wei\nP2,Li Na\n"),
             write(tmp_path, "identifiers.csv", IDENTIFIERS_CSV)]
    report = import_files(files, graph, engine, identifier_key=key)
    assert report.rejects == []


def _identifier_nodes(graph: EmbeddedGraphStore) -> dict[str, tuple[Label, object]]:
    parties = graph.edges_of(["P1", "P2"], [RelType.USES], direction="out")
    ids = sorted({edge.target for edges in parties for edge in edges})
    return {node.id: (node.label, node.props["value"])
            for node in graph.get_nodes(ids) if node is not None}


def test_a_phone_written_two_ways_is_one_node_whose_id_hides_the_value(
    tmp_path: Path, sqlite_engine: Engine, sqlite_graph: EmbeddedGraphStore,
) -> None:
    _import(tmp_path, sqlite_engine, sqlite_graph)

    nodes = _identifier_nodes(sqlite_graph)
    assert set(nodes.values()) == {
        (Label.PHONE, "+8613800138000"), (Label.ADDRESS, "12 wenyi road, hangzhou"),
        (Label.DEVICE, "imei 3569 8704"),
    }
    for node_id, (label, value) in nodes.items():
        kind = label.value.lower()
        assert re.fullmatch(rf"{kind}:[0-9a-f]{{32}}", node_id)
        assert node_id == identifier_node_id(kind, str(value), TEST_IDENTIFIER_KEY)
        for piece in ("8613800138000", "13800138000", "8000", "wenyi", "hangzhou", "3569"):
            assert piece not in node_id
    phone = identifier_node_id("phone", "+8613800138000", TEST_IDENTIFIER_KEY)
    (uses,) = sqlite_graph.edges_of([phone], [RelType.USES])
    assert [edge.source for edge in uses] == ["P1", "P2"]


def test_reimporting_under_the_same_key_changes_nothing(
    tmp_path: Path, sqlite_engine: Engine, sqlite_graph: EmbeddedGraphStore,
) -> None:
    _import(tmp_path, sqlite_engine, sqlite_graph)
    before = (sqlite_graph.count(), _identifier_nodes(sqlite_graph))

    _import(tmp_path, sqlite_engine, sqlite_graph)

    assert (sqlite_graph.count(), _identifier_nodes(sqlite_graph)) == before
    assert before[0][Label.PHONE.value] == 1


def test_another_key_gives_other_ids(tmp_path: Path, sqlite_engine: Engine,
                                     sqlite_graph: EmbeddedGraphStore) -> None:
    _import(tmp_path, sqlite_engine, sqlite_graph)
    first = set(_identifier_nodes(sqlite_graph))
    sqlite_graph.delete_all()

    _import(tmp_path, sqlite_engine, sqlite_graph, key=OTHER_KEY)

    second = set(_identifier_nodes(sqlite_graph))
    assert len(first) == len(second) == 3
    assert first.isdisjoint(second)


def test_one_value_of_two_kinds_gets_unrelated_ids() -> None:
    as_device = identifier_node_id("device", "13800138000", TEST_IDENTIFIER_KEY)
    as_phone = identifier_node_id("phone", "13800138000", TEST_IDENTIFIER_KEY)
    assert as_device.split(":")[1] != as_phone.split(":")[1]


def test_the_identifiers_type_cannot_be_imported_without_a_key() -> None:
    assert ENTITY_SPECS["identifiers"] is IDENTIFIERS
    with pytest.raises(ValueError, match="the identifier key is empty"):
        with_identifier_key(IDENTIFIERS, b"")
    with pytest.raises(RuntimeError, match="need the identifier key"):
        IDENTIFIERS.build({}, BatchOutput())
    # Every other type is imported as declared: none derives an id from personal data.
    assert all(with_identifier_key(spec, b"k") is spec
               for spec in ENTITY_SPECS.values() if spec is not IDENTIFIERS)
