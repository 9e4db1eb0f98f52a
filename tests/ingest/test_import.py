"""Whole imports: the examples, re-imports, streaming, order, and failures."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import Engine

from graph.model import Label, RelType
from graph.stores.embedded import EmbeddedGraphStore
from ingest.errors import ImportFailed, UnknownFileType
from ingest.report import ImportProgress
from portfolio.database import create_sql_engine
from tests.ingest.importing import (
    EXAMPLES,
    identifier_id,
    import_files,
    rejects_of,
    rows_of,
    table_counts,
    write,
)
from tests.ingest.synthetic_portfolio import write_portfolio

EXAMPLE_GRAPH = {
    "Person": 4, "Company": 3, "Loan": 4, "Account": 4, "Collateral": 2, "Phone": 2,
    "Address": 1, "Device": 1, "ExternalEvent": 2,
    "BORROWS": 4, "GUARANTEES": 4, "OWNS": 3, "DIRECTS": 3, "TRANSFERS": 4, "HOLDS": 4,
    "USES": 5, "SECURED_BY": 2, "MENTIONED_IN": 3, "RELATED": 3,
}
EXAMPLE_COUNTS = {
    "persons": 4, "companies": 3, "loans": 4, "installments": 6, "repayments": 4,
    "accounts": 4, "transactions": 4, "guarantees": 4, "ownerships": 3, "directorships": 3,
    "identifiers": 5, "collateral": 2, "bureau": 3, "events": 2, "relations": 3,
    "modifications": 3,
}


def test_the_examples_import_cleanly_and_hold_the_planted_structures(
    database: Engine, graph: EmbeddedGraphStore,
) -> None:
    report = import_files([EXAMPLES], graph=graph, engine=database)

    assert report.rejects == []
    assert report.counts == EXAMPLE_COUNTS
    assert graph.count() == EXAMPLE_GRAPH
    assert table_counts(database) == {"loan": 4, "installment": 6, "repayment": 4,
                                      "bureau_snapshot": 3, "loan_modification": 3}
    # A mutual guarantee: each company guarantees the other's loan.
    guarantees = graph.project([RelType.GUARANTEES, RelType.BORROWS])
    assert {("C003", "L001"), ("C001", "L002"), ("C001", "L001"), ("C003", "L002")} <= set(
        guarantees.edges())
    # An ownership chain from a person down to the company that borrows L002.
    owns = graph.project([RelType.OWNS])
    assert [(a, b, d["pct"]) for a, b, d in sorted(owns.edges(data=True))] == [
        ("C001", "C003", 0.51), ("C002", "C001", 0.8), ("P001", "C002", 0.6)]
    # Two persons share one phone node, however they wrote the number.
    (uses,) = graph.edges_of([identifier_id("phone", "+8613800138000")], [RelType.USES])
    assert [e.source for e in uses] == ["P002", "P003"]
    assert rows_of(database, "SELECT id, principal_minor, currency, status FROM loan "
                             "WHERE id = 'L002'") == [("L002", 200000000, "CNY", "active")]


def test_reimporting_changes_nothing(database: Engine, graph: EmbeddedGraphStore) -> None:
    first = import_files([EXAMPLES], graph=graph, engine=database)
    before = (graph.count(), table_counts(database), graph.get_nodes(["P004", "L001"]))

    again = import_files([EXAMPLES], graph=graph, engine=database)

    assert again.counts == first.counts
    assert again.rejects == []
    assert (graph.count(), table_counts(database), graph.get_nodes(["P004", "L001"])) == before
    assert rows_of(database, "SELECT id, status, rows_imported, rows_rejected FROM import_batch "
                             "ORDER BY id") == [(1, "succeeded", 57, 0), (2, "succeeded", 57, 0)]


def test_a_reimport_updates_rows_by_their_ids(tmp_path: Path, sqlite_engine: Engine,
                                              sqlite_graph: EmbeddedGraphStore) -> None:
    path = write(tmp_path, "persons.csv", "id,name,city\nP1,Zhang Wei,Hangzhou\n")
    import_files([path], sqlite_graph, sqlite_engine)
    write(tmp_path, "persons.csv", "id,name,occupation\nP1,Zhang Wei,teacher\n")

    import_files([path], sqlite_graph, sqlite_engine)

    node = sqlite_graph.get_node("P1")
    assert node is not None
    assert node.props == {"name": "Zhang Wei", "city": "Hangzhou", "occupation": "teacher"}


def test_files_are_streamed_in_batches(tmp_path: Path, sqlite_engine: Engine,
                                       sqlite_graph: EmbeddedGraphStore) -> None:
    rows = write_portfolio(tmp_path / "in", scale=0.01)
    events: list[ImportProgress] = []

    report = import_files([tmp_path / "in"], graph=sqlite_graph, engine=sqlite_engine,
                          batch_rows=97, progress=events.append)

    assert report.rejects == []
    assert report.counts == rows
    assert sum(rows.values()) == 1_140
    persons = [e for e in events if e.entity == "persons"]
    installments = [e for e in events if e.entity == "installments"]
    assert [e.rows_read for e in persons] == [97, 120]
    # Counts cover the whole import: 270 rows came before the installments.
    assert [e.rows_read for e in installments] == [367, 464, 561, 630]
    assert events[-1].bytes_done == events[-1].bytes_total == sum(
        p.stat().st_size for p in (tmp_path / "in").iterdir())
    assert sqlite_graph.count()["Person"] == 120


def test_files_named_in_any_order_import_in_dependency_order(
    tmp_path: Path, sqlite_engine: Engine, sqlite_graph: EmbeddedGraphStore,
) -> None:
    loans = EXAMPLES / "loans.csv"
    parties = [EXAMPLES / "companies.jsonl", EXAMPLES / "persons.csv"]
    export = write(tmp_path, "export-2024.csv", "loan_id,seq,due_on,principal_due,interest_due\n"
                                                "L003,4,2024-10-10,6542.53,449.88\n")

    import_files([loans, *parties], sqlite_graph, sqlite_engine)
    report = import_files([export], graph=sqlite_graph, engine=sqlite_engine,
                          entity_type="installments")

    assert report.counts == {"installments": 1}
    assert table_counts(sqlite_engine)["loan"] == 4


def test_an_unknown_file_type_fails_before_anything_is_read(
    tmp_path: Path, sqlite_engine: Engine, sqlite_graph: EmbeddedGraphStore,
) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    write(folder, "persons.csv", "id,name\nP1,Zhang Wei\n")
    write(folder, "notes.txt", "hello\n")

    with pytest.raises(UnknownFileType, match=re.escape("notes.txt: unknown file type '.txt'")):
        import_files([folder], graph=sqlite_graph, engine=sqlite_engine)
    assert sqlite_graph.count() == {}
    assert rows_of(sqlite_engine, "SELECT count(*) FROM import_batch") == [(0,)]


def test_a_failing_store_fails_the_batch_with_the_reason(tmp_path: Path,
                                                         sqlite_engine: Engine) -> None:
    unmigrated = create_sql_engine(f"sqlite:///{tmp_path / 'empty.db'}")
    broken_graph = EmbeddedGraphStore(unmigrated)
    path = write(tmp_path, "persons.csv", "id,name\nP1,Zhang Wei\n")

    with pytest.raises(ImportFailed) as caught:
        import_files([path], graph=broken_graph, engine=sqlite_engine)

    unmigrated.dispose()
    assert caught.value.message == (
        f"looking up the ids named in {path}, lines 2-2 failed: the graph tables are missing "
        f"from the database at sqlite:///{tmp_path / 'empty.db'}: no such table: graph_node")
    assert caught.value.suggestion == "run `loanwatch migrate`"
    assert rows_of(sqlite_engine, "SELECT status, error FROM import_batch") == [
        ("failed", caught.value.message)]


def test_an_unmigrated_database_is_reported(tmp_path: Path,
                                            sqlite_graph: EmbeddedGraphStore) -> None:
    unmigrated = create_sql_engine(f"sqlite:///{tmp_path / 'empty.db'}")
    with pytest.raises(ImportFailed, match="cannot record the import batch: no such table"):
        import_files([EXAMPLES / "persons.csv"], graph=sqlite_graph, engine=unmigrated)
    unmigrated.dispose()


def test_the_report_keeps_the_first_rejects_and_stores_them_all(
    tmp_path: Path, sqlite_engine: Engine, sqlite_graph: EmbeddedGraphStore,
) -> None:
    lines = "".join(f"P{i},\n" for i in range(30))
    path = write(tmp_path, "persons.csv", "id,name\n" + lines)

    report = import_files([path], graph=sqlite_graph, engine=sqlite_engine,
                          batch_rows=7, max_rejects_kept=5)

    assert rejects_of(report) == [("persons.csv", n, "name", "required value is missing")
                                  for n in range(2, 7)]
    assert report.rows_rejected == 30
    assert rows_of(sqlite_engine, "SELECT count(*), min(line), max(line) FROM rejected_row") == [
        (30, 2, 31)]
    assert sqlite_graph.labels_of(["P0"]) == {}
    assert Label.PERSON.value not in sqlite_graph.count()


def test_duplicates_are_found_after_the_keys_move_to_disk(
    tmp_path: Path, sqlite_engine: Engine, sqlite_graph: EmbeddedGraphStore,
) -> None:
    lines = [f"P{i},Person {i}" for i in range(1, 11)] + ["P2,Again", "P9,Again", "P2,Thrice"]
    path = write(tmp_path, "persons.csv", "id,name\n" + "\n".join(lines) + "\n")

    report = import_files([path], graph=sqlite_graph, engine=sqlite_engine, batch_rows=2,
                          memory_keys=3)

    assert rejects_of(report) == [
        ("persons.csv", 12, "id", "duplicate id 'P2': already on line 3 of this file"),
        ("persons.csv", 13, "id", "duplicate id 'P9': already on line 10 of this file"),
        ("persons.csv", 14, "id", "duplicate id 'P2': already on line 3 of this file"),
    ]
    assert sqlite_graph.count() == {"Person": 10}
    assert sqlite_graph.get_node("P2").props == {"name": "Person 2"}  # type: ignore[union-attr]
