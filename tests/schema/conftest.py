"""The schema as production builds it, and the sample portfolio on every graph backend.

``store`` runs a GraphQL test once per backend: the embedded store on SQLite, the embedded
store on the test PostgreSQL (in a schema of its own) and the test Neo4j. Each store counts
its reads (see :class:`tests.schema.sample.Counting`). The server-backed stores live for
the session and are emptied before each test; ``blank_store`` is the same, without the
sample portfolio.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from graph.stores.embedded_schema import metadata
from schema import LoanwatchSchema, build_schema
from tests.schema.sample import (
    Counting,
    CountingNeo4jStore,
    CountingStore,
    load_sample,
    sqlite_engine,
)
from tests.services import open_neo4j_store, postgres_schema

BACKENDS = [
    "embedded-sqlite",
    pytest.param("embedded-postgres", marks=pytest.mark.postgres),
    pytest.param("neo4j", marks=pytest.mark.neo4j),
]


@pytest.fixture(scope="session")
def counting_neo4j_store() -> Iterator[CountingNeo4jStore]:
    store = open_neo4j_store(CountingNeo4jStore)
    yield store
    store.delete_all()
    store.close()


@pytest.fixture(scope="session")
def counting_postgres_store() -> Iterator[CountingStore]:
    with postgres_schema("lw_schema") as engine:
        metadata.create_all(engine)
        yield CountingStore(engine)


@pytest.fixture(params=BACKENDS)
def blank_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Counting]:
    """Each graph backend in turn, empty, its counts cleared."""
    if request.param == "embedded-sqlite":
        backend = CountingStore(sqlite_engine(tmp_path / "graph.db"))
        yield backend
        backend.close()
        return
    name = "counting_neo4j_store" if request.param == "neo4j" else "counting_postgres_store"
    shared: Counting = request.getfixturevalue(name)
    shared.delete_all()
    shared.calls.clear()
    yield shared


@pytest.fixture
def store(blank_store: Counting) -> Counting:
    """Each graph backend in turn, holding the sample portfolio."""
    return load_sample(blank_store)


@pytest.fixture(scope="session")
def schema() -> LoanwatchSchema:
    return build_schema(mask_errors=False)
