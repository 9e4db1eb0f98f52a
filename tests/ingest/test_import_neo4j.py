"""The importer writes the same graph into the real Neo4j as into the embedded store."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine

from graph.model import RelType
from graph.stores.neo4j import Neo4jGraphStore
from tests.ingest.importing import EXAMPLES, identifier_id, import_files, rejects_of, write
from tests.ingest.test_import import EXAMPLE_COUNTS, EXAMPLE_GRAPH

pytestmark = pytest.mark.neo4j


@pytest.fixture
def neo4j(neo4j_store: Neo4jGraphStore) -> Neo4jGraphStore:
    neo4j_store.delete_all()
    return neo4j_store


def test_examples_import_into_neo4j_and_again_change_nothing(
    sqlite_engine: Engine, neo4j: Neo4jGraphStore,
) -> None:
    first = import_files([EXAMPLES], graph=neo4j, engine=sqlite_engine)
    assert first.rejects == [] and first.counts == EXAMPLE_COUNTS
    assert neo4j.count() == EXAMPLE_GRAPH

    again = import_files([EXAMPLES], graph=neo4j, engine=sqlite_engine)
    assert again.rejects == []
    assert neo4j.count() == EXAMPLE_GRAPH
    (uses,) = neo4j.edges_of([identifier_id("phone", "+8613800138000")], [RelType.USES])
    assert [e.source for e in uses] == ["P002", "P003"]


def test_a_dangling_guarantee_is_rejected_and_the_rest_kept(
    tmp_path: Path, sqlite_engine: Engine, neo4j: Neo4jGraphStore,
) -> None:
    import_files([EXAMPLES], graph=neo4j, engine=sqlite_engine)
    path = write(tmp_path, "guarantees.csv", """
        guarantor_id,loan_id,amount,share,kind
        P004,L001,1000.00,0.1,single
        P004,L404,1000.00,0.1,single
    """)

    report = import_files([path], graph=neo4j, engine=sqlite_engine)

    assert [(line, field) for _, line, field, _ in rejects_of(report)] == [(3, "loan_id")]
    guarantors = {e.source for e in neo4j.edges_of(["L001"], [RelType.GUARANTEES])[0]}
    assert "P004" in guarantors
