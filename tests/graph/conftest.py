"""Graph stores for the contract suite: every backend, each emptied before a test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, event

from graph.store import GraphStore
from graph.stores.embedded import EmbeddedGraphStore
from graph.stores.embedded_schema import metadata
from tests.services import postgres_schema


def _sqlite_store(path: Path) -> EmbeddedGraphStore:
    engine = create_engine(f"sqlite:///{path}")

    @event.listens_for(engine, "connect")
    def _foreign_keys(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
        dbapi_connection.execute("PRAGMA journal_mode=WAL")

    metadata.create_all(engine)
    return EmbeddedGraphStore(engine)


@pytest.fixture(scope="session")
def postgres_graph_store() -> Iterator[EmbeddedGraphStore]:
    """The embedded store on the test PostgreSQL, in a schema of its own for the session."""
    with postgres_schema("lw_graph") as engine:
        metadata.create_all(engine)
        yield EmbeddedGraphStore(engine)


@pytest.fixture(
    params=[
        "embedded-sqlite",
        pytest.param("embedded-postgres", marks=pytest.mark.postgres),
        pytest.param("neo4j", marks=pytest.mark.neo4j),
    ]
)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[GraphStore]:
    """Each backend in turn, empty."""
    if request.param == "embedded-sqlite":
        backend: GraphStore = _sqlite_store(tmp_path / "graph.db")
        yield backend
        backend.close()
        return
    fixture = "neo4j_store" if request.param == "neo4j" else "postgres_graph_store"
    backend = request.getfixturevalue(fixture)
    backend.delete_all()
    yield backend
