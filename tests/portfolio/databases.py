"""Migrated SQL databases for tests: SQLite in a temporary folder, and the real PostgreSQL.

The PostgreSQL database is ``LOANWATCH_TEST_POSTGRES_URL`` (``tools/services.sh start``
runs it), claimed for the tests before anything is created in it (see
:mod:`tests.ownership`). Each session works in a schema of its own, created and dropped by
:func:`tests.services.postgres_schema`, so these tests never touch tables other suites
create in ``public``. When the server cannot be reached the tests skip, except in CI
(``CI=true``), where they fail.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from loanwatch.migrations import migrate
from loanwatch.migrations.metadata import all_metadata
from portfolio.database import create_sql_engine
from tests.services import postgres_schema

__all__ = ["database", "postgres_engine", "sqlite_engine"]


@pytest.fixture(scope="session")
def postgres_engine() -> Iterator[Engine]:
    """The test PostgreSQL, claimed, migrated, in a schema that lives as long as the session."""
    with postgres_schema("lw_portfolio") as engine:
        migrate(engine)
        yield engine


@pytest.fixture
def sqlite_engine(tmp_path: Path) -> Iterator[Engine]:
    """A migrated SQLite database in a fresh file."""
    engine = create_sql_engine(f"sqlite:///{tmp_path / 'loanwatch.db'}")
    migrate(engine)
    yield engine
    engine.dispose()


#: Tables whose triggers refuse TRUNCATE (the audit trail): lifted while a test empties them.
_TRUNCATE_GUARDED = ("audit_log",)


def _empty(engine: Engine) -> None:
    tables = [table for metadata in all_metadata() for table in metadata.sorted_tables]
    with engine.begin() as connection:
        for table in _TRUNCATE_GUARDED:
            connection.execute(text(f'ALTER TABLE "{table}" DISABLE TRIGGER USER'))
        names = ", ".join(f'"{table.name}"' for table in tables)
        connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        for table in _TRUNCATE_GUARDED:
            connection.execute(text(f'ALTER TABLE "{table}" ENABLE TRIGGER USER'))


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database(request: pytest.FixtureRequest) -> Iterator[Engine]:
    """Each SQL backend in turn, migrated and empty."""
    if request.param == "sqlite":
        yield request.getfixturevalue("sqlite_engine")
        return
    engine: Engine = request.getfixturevalue("postgres_engine")
    _empty(engine)
    yield engine
