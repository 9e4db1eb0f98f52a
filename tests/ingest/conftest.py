"""Fixtures of the importer tests: migrated databases (both backends) and graph stores."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine

from graph.stores.embedded import EmbeddedGraphStore
from tests.portfolio.databases import database, postgres_engine, sqlite_engine

__all__ = ["database", "graph", "postgres_engine", "sqlite_engine", "sqlite_graph"]


@pytest.fixture
def graph(database: Engine) -> Iterator[EmbeddedGraphStore]:
    """The embedded graph store on ``database`` (each backend in turn)."""
    yield EmbeddedGraphStore(database)


@pytest.fixture
def sqlite_graph(sqlite_engine: Engine) -> Iterator[EmbeddedGraphStore]:
    """The embedded graph store on a SQLite file (for tests that need one backend only)."""
    yield EmbeddedGraphStore(sqlite_engine)
