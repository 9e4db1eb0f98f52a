"""The fault and bad-input probes of issue 5 on the importer: a binary file, a file of
garbage (rejected rows capped), empty and header-only files, and two imports at once that
name the same ids under different labels."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner

from graph.stores.embedded import EmbeddedGraphStore
from graph.stores.neo4j import Neo4jGraphStore
from ingest.errors import ImportFailed, NotText
from ingest.report import ImportReport
from loanwatch.cli.main import app
from tests.ingest.importing import import_files, rows_of, write


def _cli_env(tmp_path: Path) -> dict[str, str]:
    return {"LOANWATCH_DATABASE_URL": f"sqlite:///{tmp_path / 'lw.db'}",
            "LOANWATCH_NEO4J_URI": "", "COLUMNS": "200"}


@pytest.fixture(autouse=True)
def _no_loanwatch_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("LOANWATCH_"):
            monkeypatch.delenv(name)


# -- a file that is not text -----------------------------------------------------------------


@pytest.mark.parametrize(("content", "reason"), [
    (b"PK\x03\x04\x14\x00\x06\x00" + bytes(range(256)) * 40, "a NUL byte at offset 5"),
    ("id,name\nP1,Zhang Wei\n".encode("utf-16"), "a NUL byte at offset 3"),
    (b"id,name\nP1,\xff\xfe\xfa garbage\n", "not UTF-8 text (invalid byte at offset 11)"),
])
def test_a_file_that_is_not_text_is_refused_before_anything_is_imported(
    tmp_path: Path, sqlite_engine: Engine, sqlite_graph: EmbeddedGraphStore,
    content: bytes, reason: str,
) -> None:
    good = write(tmp_path, "persons.csv", "id,name\nP1,Zhang Wei\n")
    binary = tmp_path / "loans.csv"
    binary.write_bytes(content)

    with pytest.raises(NotText) as caught:
        import_files([good, binary], graph=sqlite_graph, engine=sqlite_engine)

    assert str(caught.value).startswith(f"{binary}: ")
    assert reason in str(caught.value)
    assert sqlite_graph.count() == {}
    assert rows_of(sqlite_engine, "SELECT count(*) FROM import_batch") == [(0,)]


def test_the_cli_names_the_binary_file_without_a_traceback(tmp_path: Path) -> None:
    binary = tmp_path / "loans.csv"
    binary.write_bytes(b"\x00\x01\x02" * 1000)

    result = CliRunner().invoke(app, ["import", str(binary)], env=_cli_env(tmp_path))

    assert result.exit_code != 0
    assert isinstance(result.exception, NotText)
    assert f"{binary}: not a text file (a NUL byte at offset 0); nothing was imported" == str(
        result.exception)


def test_a_utf8_character_cut_by_the_sniffed_bytes_is_not_refused(
    tmp_path: Path, sqlite_engine: Engine, sqlite_graph: EmbeddedGraphStore,
) -> None:
    # 64 KiB end inside the three bytes of one Chinese character.
    name = "张" * 30_000
    path = write(tmp_path, "persons.csv", f"id,name\nP1,{name}\n")

    report = import_files([path], graph=sqlite_graph, engine=sqlite_engine)

    assert report.rows_read == 1  # read (and judged on its merits), not refused as binary


# -- rejected rows stored per file are capped --------------------------------------------------


def test_rejected_rows_past_the_cap_are_counted_not_stored(
    tmp_path: Path, sqlite_engine: Engine, sqlite_graph: EmbeddedGraphStore,
) -> None:
    bad = write(tmp_path, "persons.csv", "id,name,gender\n" + "".join(
        f"P{i},Name,W\n" for i in range(25)))
    also = write(tmp_path, "companies.csv", "id,name,size\nC1,Co,huge\n")

    report = import_files([bad, also], graph=sqlite_graph, engine=sqlite_engine,
                          batch_rows=4, max_rejects_stored=10)

    assert report.rows_rejected == 26
    assert [(Path(f.path).name, f.rows_rejected, f.rejects_not_stored)
            for f in report.files] == [("persons.csv", 25, 15), ("companies.csv", 1, 0)]
    assert rows_of(sqlite_engine, "SELECT file, min(line), max(line), count(*) "
                                  "FROM rejected_row GROUP BY file ORDER BY file") == [
        (str(also), 2, 2, 1), (str(bad), 2, 11, 10)]
    assert rows_of(sqlite_engine, "SELECT rows_rejected, rejects_not_stored "
                                  "FROM import_batch") == [(26, 15)]


def test_the_cli_says_how_many_rejected_rows_were_not_stored(tmp_path: Path) -> None:
    path = write(tmp_path, "persons.csv", "id,name,gender\n" + "".join(
        f"P{i},Name,W\n" for i in range(30)))

    result = CliRunner().invoke(app, ["import", str(path), "--max-rejects-stored", "12",
                                      "--max-rejects-shown", "2"], env=_cli_env(tmp_path))

    assert result.exit_code == 2, result.output
    assert "0 of 30 rows imported, 30 rejected" in result.output
    assert "18 more rejected rows not stored" in result.output
    assert "… and 28 more; 12 rejected rows are stored with import batch 1" in result.output


# -- empty and header-only files -----------------------------------------------------------


def test_empty_and_header_only_files_are_warned_about(
    tmp_path: Path, sqlite_engine: Engine, sqlite_graph: EmbeddedGraphStore,
) -> None:
    empty = write(tmp_path, "persons.csv", "")
    header = write(tmp_path, "companies.csv", "id,name\n")
    blank = write(tmp_path, "accounts.jsonl", "\n\n")

    report = import_files([empty, header, blank], graph=sqlite_graph, engine=sqlite_engine)

    assert report.warnings == [
        f"{empty}: the file is empty; nothing was imported from it",
        f"{header}: the file has a header but no rows; nothing was imported from it",
        f"{blank}: the file holds no rows; nothing was imported from it",
    ]
    [(stored,)] = rows_of(sqlite_engine, "SELECT warnings FROM import_batch")
    assert stored is not None and "the file is empty" in stored


def test_the_cli_warns_about_a_header_only_file(tmp_path: Path) -> None:
    path = write(tmp_path, "persons.csv", "id,name\n")

    result = CliRunner().invoke(app, ["import", str(path)], env=_cli_env(tmp_path))

    assert result.exit_code == 0, result.output
    assert "0 of 0 rows imported" in result.output
    assert (f"warning: {path}: the file has a header but no rows; nothing was imported "
            f"from it") in result.output.replace("\n", "")


def test_a_file_with_rows_has_no_warning(tmp_path: Path, sqlite_engine: Engine,
                                         sqlite_graph: EmbeddedGraphStore) -> None:
    path = write(tmp_path, "persons.csv", "id,name\nP1,Zhang Wei\n")
    assert import_files([path], graph=sqlite_graph, engine=sqlite_engine).warnings == []


# -- two imports at once -------------------------------------------------------------------


def _import_concurrently(tmp_path: Path, graph: object, engine: Engine
                         ) -> dict[str, ImportReport | ImportFailed]:
    ids = [f"X{i:04d}" for i in range(3_000)]
    persons = write(tmp_path, "persons.csv", "id,name\n" + "".join(f"{i},P\n" for i in ids))
    companies = write(tmp_path, "companies.csv", "id,name\n" + "".join(f"{i},C\n" for i in ids))
    start = threading.Barrier(2)
    outcomes: dict[str, ImportReport | ImportFailed] = {}

    def run(path: Path) -> None:
        start.wait()
        try:
            outcomes[path.stem] = import_files([path], graph=graph,  # type: ignore[arg-type]
                                               engine=engine, batch_rows=500)
        except ImportFailed as exc:
            outcomes[path.stem] = exc

    threads = [threading.Thread(target=run, args=(p,)) for p in (persons, companies)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


@pytest.mark.neo4j
def test_two_imports_of_the_same_ids_as_persons_and_companies_give_each_one_label(
    tmp_path: Path, sqlite_engine: Engine, neo4j_store: Neo4jGraphStore,
) -> None:
    neo4j_store.delete_all()

    outcomes = _import_concurrently(tmp_path, neo4j_store, sqlite_engine)

    labels = neo4j_store._driver.execute_query(
        "MATCH (n:Entity) RETURN size(labels(n)) AS n, count(*) AS nodes")[0]
    assert [(r["n"], r["nodes"]) for r in labels] == [(2, 3_000)]  # Entity + one label
    counts = neo4j_store.count()
    assert counts.get("Person", 0) + counts.get("Company", 0) == 3_000
    # Each id went to whichever import wrote it first; the other rejected or failed on it.
    for stem, label in (("persons", "Person"), ("companies", "Company")):
        outcome = outcomes[stem]
        if isinstance(outcome, ImportFailed):
            assert "it cannot become a" in str(outcome)
        else:
            assert outcome.rows_imported == counts.get(label, 0)
