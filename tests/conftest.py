"""Fixtures shared by every test package: the real Neo4j server."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from neo4j import GraphDatabase

from graph.stores.neo4j import Neo4jGraphStore
from loanwatch.errors import BackendUnavailable
from tests.services import NEO4J_URI, unreachable


@pytest.fixture(scope="session")
def neo4j_store() -> Iterator[Neo4jGraphStore]:
    store = Neo4jGraphStore(GraphDatabase.driver(NEO4J_URI, auth=None), address=NEO4J_URI)
    try:
        store.ping()
    except BackendUnavailable as exc:
        store.close()
        unreachable("Neo4j", NEO4J_URI, exc)
    store.ensure_schema()
    yield store
    store.delete_all()
    store.close()
