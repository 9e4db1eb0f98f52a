"""``loanwatch migrate`` on a graph written by the first release: identifier nodes are
re-keyed on SQLite, PostgreSQL and Neo4j, and importing the same files again adds nothing."""

from __future__ import annotations

import csv
import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner

from graph.identifier_ids import IDENTIFIER_KINDS, identifier_node_id
from graph.model import Edge, Label, Node, RelType
from graph.store import GraphStore
from graph.stores.embedded import EmbeddedGraphStore
from graph.stores.neo4j import Neo4jGraphStore
from ingest.identifiers import normalise_identifier
from loanwatch.cli.main import app, main
from loanwatch.errors import ConfigurationError
from tests.ingest.importing import EXAMPLES
from tests.services import NEO4J_URI

KEY = "cli-tests-identifier-key-0123456789abcdef"


@pytest.fixture(autouse=True)
def _no_loanwatch_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("LOANWATCH_"):
            monkeypatch.delenv(name)


def _legacy_graph(graph: GraphStore) -> set[tuple[str, str, str]]:
    """The example identifiers as the first release wrote them (value in the id); returns
    the USES edges the current release writes for them, as (party, kind, value)."""
    with (EXAMPLES / "identifiers.csv").open(encoding="utf-8") as source:
        rows = [(r["party_id"], r["kind"], normalise_identifier(r["kind"], r["value"]))
                for r in csv.DictReader(source)]
    parties = sorted({party for party, _, _ in rows})
    graph.upsert_nodes([Node(p, Label.COMPANY if p.startswith("C") else Label.PERSON,
                             {"name": p}) for p in parties])
    graph.upsert_nodes([Node(f"{kind}:{value}", IDENTIFIER_KINDS[kind], {"value": value})
                        for _, kind, value in rows])
    graph.upsert_edges([Edge(RelType.USES, party, f"{kind}:{value}")
                        for party, kind, value in rows])
    return set(rows)


def _uses(graph: GraphStore, parties: list[str]) -> set[tuple[str, str]]:
    found = graph.edges_of(parties, [RelType.USES], direction="out")
    return {(edge.source, edge.target) for edges in found for edge in edges}


def _migrate_then_reimport(graph: GraphStore, env: dict[str, str]) -> None:
    expected = _legacy_graph(graph)
    parties = sorted({party for party, _, _ in expected})
    keyed = {(party, identifier_node_id(kind, value, KEY.encode()))
             for party, kind, value in expected}

    result = CliRunner().invoke(app, ["migrate"], env=env)

    assert result.exit_code == 0, result.output
    assert "identifier nodes: 4 of 4 re-keyed" in result.output
    assert _uses(graph, parties) == keyed
    counts = graph.count()
    again = CliRunner().invoke(app, ["migrate"], env=env)
    assert "identifier nodes: 0 of 4 re-keyed" in again.output
    # The migrated graph is what an import under the same key writes: nothing new.
    imported = CliRunner().invoke(app, ["import", str(EXAMPLES / "identifiers.csv")], env=env)
    assert imported.exit_code == 0, imported.output
    assert graph.count() == counts
    assert _uses(graph, parties) == keyed


def test_migrate_re_keys_the_embedded_store(database: Engine) -> None:
    graph = EmbeddedGraphStore(database)
    graph.delete_all()
    url = database.url.render_as_string(hide_password=False)
    _migrate_then_reimport(graph, {"LOANWATCH_DATABASE_URL": url,
                                   "LOANWATCH_IDENTIFIER_KEY": KEY, "COLUMNS": "200"})


@pytest.fixture
def neo4j(neo4j_store: Neo4jGraphStore) -> Iterator[Neo4jGraphStore]:
    neo4j_store.delete_all()
    yield neo4j_store
    neo4j_store.delete_all()


@pytest.mark.neo4j
def test_migrate_re_keys_neo4j(sqlite_engine: Engine, neo4j: Neo4jGraphStore) -> None:
    url = sqlite_engine.url.render_as_string(hide_password=False)
    _migrate_then_reimport(neo4j, {"LOANWATCH_DATABASE_URL": url, "LOANWATCH_NEO4J_URI": NEO4J_URI,
                                   "LOANWATCH_IDENTIFIER_KEY": KEY, "COLUMNS": "200"})


def test_migrate_in_production_without_a_key_changes_nothing(database: Engine) -> None:
    graph = EmbeddedGraphStore(database)
    graph.delete_all()
    _legacy_graph(graph)
    before = graph.count()
    url = database.url.render_as_string(hide_password=False)

    result = CliRunner().invoke(app, ["migrate"], env={
        "LOANWATCH_DATABASE_URL": url, "LOANWATCH_ENVIRONMENT": "production"})

    assert isinstance(result.exception, ConfigurationError)
    assert "LOANWATCH_IDENTIFIER_KEY is not set" in str(result.exception)
    assert graph.count() == before
    assert graph.get_node("phone:+8613800138000") is not None


def test_import_in_production_without_a_key_names_the_variable(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path,
) -> None:
    monkeypatch.setenv("LOANWATCH_ENVIRONMENT", "production")
    monkeypatch.setenv("LOANWATCH_DATA_DIR", str(tmp_path))
    monkeypatch.setattr(sys, "argv", ["loanwatch", "import", str(EXAMPLES)])

    with pytest.raises(SystemExit) as caught:
        main()

    err = capsys.readouterr().err
    assert caught.value.code != 0
    assert "error: LOANWATCH_IDENTIFIER_KEY is not set" in err
    assert "hint: set LOANWATCH_IDENTIFIER_KEY" in err and "Traceback" not in err
    assert not (tmp_path / "loanwatch.db").exists()  # refused before touching anything
