"""Both stores an evaluation reads, on every backend: a migrated SQL database and a graph.

``stores`` runs a test three times: the embedded graph in a SQLite file (one database for
graph and records, as ``make demo`` runs), the embedded graph on the real PostgreSQL, and the
real Neo4j beside a SQLite database for the records. Each starts empty.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from sqlalchemy import Engine

from graph.store import GraphStore
from graph.stores.embedded import EmbeddedGraphStore
from tests.portfolio.databases import empty_postgres

__all__ = ["Stores", "empty_database", "stores"]


@dataclass(frozen=True)
class Stores:
    engine: Engine
    graph: GraphStore


def empty_database(engine: Engine) -> None:
    """Truncate every table of a migrated PostgreSQL database."""
    empty_postgres(engine)


@pytest.fixture(params=[
    "embedded-sqlite",
    pytest.param("embedded-postgres", marks=pytest.mark.postgres),
    pytest.param("neo4j", marks=pytest.mark.neo4j),
])
def stores(request: pytest.FixtureRequest) -> Iterator[Stores]:
    """The SQL engine and the graph store of each backend in turn, empty."""
    if request.param == "embedded-postgres":
        engine: Engine = request.getfixturevalue("postgres_engine")
        empty_database(engine)
        yield Stores(engine, EmbeddedGraphStore(engine))
        return
    engine = request.getfixturevalue("sqlite_engine")
    if request.param == "neo4j":
        graph: GraphStore = request.getfixturevalue("neo4j_store")
        graph.delete_all()
        yield Stores(engine, graph)
        return
    yield Stores(engine, EmbeddedGraphStore(engine))
