"""valid_from/valid_to on ownerships, directorships, identifiers and relations: stored as
edge properties, checked for order, updated by a re-import."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine

from graph.model import RelType
from graph.stores.embedded import EmbeddedGraphStore
from tests.ingest.importing import identifier_id, import_files, rejects_of, write

PARTIES = {
    "persons.csv": """
        id,name
        P1,One
        P2,Two
    """,
    "companies.csv": """
        id,name
        C1,Firm One
        C2,Firm Two
    """,
}


def _parties(folder: Path) -> list[Path]:
    return [write(folder, name, content) for name, content in PARTIES.items()]


def _props(graph: EmbeddedGraphStore, node: str, rel: RelType) -> dict[str, object]:
    ((edge,),) = graph.edges_of([node], [rel], direction="out")
    return edge.props


def test_dates_become_edge_properties_and_a_backward_range_is_rejected(
    tmp_path: Path, database: Engine, graph: EmbeddedGraphStore,
) -> None:
    files = [
        *_parties(tmp_path),
        write(tmp_path, "ownerships.csv", """
            owner_id,company_id,pct,valid_from,valid_to
            P1,C1,0.6,2020-01-01,
            P2,C1,0.4,2021-03-01,2020-12-31
            C1,C2,0.9,,
        """),
        write(tmp_path, "directorships.csv", """
            person_id,company_id,role,valid_from,valid_to
            P2,C2,chairman,2019-05-01,2024-06-30
        """),
        write(tmp_path, "identifiers.csv", """
            party_id,kind,value,valid_from,valid_to
            P1,phone,13800138000,,2023-01-01
            P2,phone,13800138000,2023-01-01,2023-01-01
        """),
        write(tmp_path, "relations.csv", """
            party_id,other_id,kind,valid_from,valid_to
            P1,P2,family,2010-10-10,
            C1,C2,supplier,2024-02-30,
        """),
    ]

    report = import_files(files, graph=graph, engine=database)

    assert rejects_of(report) == [
        ("ownerships.csv", 3, "valid_to", "valid_to 2020-12-31 is before valid_from 2021-03-01"),
        ("relations.csv", 3, "valid_from", "not a date YYYY-MM-DD: '2024-02-30'"),
    ]
    assert graph.count()["OWNS"] == 2 and graph.count()["RELATED"] == 1
    assert _props(graph, "P1", RelType.OWNS) == {"pct": 0.6, "valid_from": "2020-01-01"}
    assert _props(graph, "C1", RelType.OWNS) == {"pct": 0.9}
    assert _props(graph, "P2", RelType.DIRECTS) == {
        "role": "chairman", "valid_from": "2019-05-01", "valid_to": "2024-06-30"}
    assert _props(graph, "P1", RelType.USES) == {"valid_to": "2023-01-01"}
    # Equal dates are accepted: the use held on no day.
    assert _props(graph, "P2", RelType.USES) == {
        "valid_from": "2023-01-01", "valid_to": "2023-01-01"}
    phone = identifier_id("phone", "13800138000")
    (uses,) = graph.edges_of([phone], [RelType.USES])
    assert {e.source for e in uses} == {"P1", "P2"}
    assert _props(graph, "P1", RelType.RELATED) == {"kind": "family", "valid_from": "2010-10-10"}


def test_a_reimport_updates_the_dates_and_an_empty_cell_keeps_them(
    tmp_path: Path, database: Engine, graph: EmbeddedGraphStore,
) -> None:
    first = tmp_path / "first"
    first.mkdir()
    import_files([*_parties(first), write(first, "ownerships.csv", """
        owner_id,company_id,pct,valid_from,valid_to
        P1,C1,0.6,2020-01-01,
    """)], graph=graph, engine=database)
    second = tmp_path / "second"
    second.mkdir()
    ended = write(second, "ownerships.csv", """
        owner_id,company_id,pct,valid_from,valid_to
        P1,C1,0.6,,2024-06-30
    """)

    report = import_files([ended], graph=graph, engine=database)
    again = import_files([ended], graph=graph, engine=database)

    assert report.rejects == [] and again.rejects == []
    assert graph.count()["OWNS"] == 1
    assert _props(graph, "P1", RelType.OWNS) == {
        "pct": 0.6, "valid_from": "2020-01-01", "valid_to": "2024-06-30"}


def test_an_identifier_use_that_ends_before_it_starts_is_rejected_and_nothing_stored(
    tmp_path: Path, database: Engine, graph: EmbeddedGraphStore,
) -> None:
    report = import_files([*_parties(tmp_path), write(tmp_path, "identifiers.csv", """
        party_id,kind,value,valid_from,valid_to
        P1,device,IMEI-1,2024-01-01,2023-01-01
    """)], graph=graph, engine=database)

    assert rejects_of(report) == [
        ("identifiers.csv", 2, "valid_to", "valid_to 2023-01-01 is before valid_from 2024-01-01")]
    assert "USES" not in graph.count() and "Device" not in graph.count()
