"""An empty, unmigrated database on each SQL backend, and a downgrade, for the tests of
one migration's upgrade and downgrade. Import both into the test module."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import Engine

from loanwatch.migrations import alembic_config
from portfolio.database import create_sql_engine
from tests.services import postgres_schema

__all__ = ["downgrade", "unmigrated_database"]


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def unmigrated_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """An empty database of each backend, not migrated (on PostgreSQL a schema of its own,
    dropped afterwards)."""
    if request.param == "sqlite":
        engine = create_sql_engine(f"sqlite:///{tmp_path / 'unmigrated.db'}")
        yield engine
        engine.dispose()
        return
    with postgres_schema("lw_unmigrated") as engine:
        yield engine


def downgrade(engine: Engine, revision: str) -> None:
    """Downgrade the database behind ``engine`` to ``revision``, in one transaction."""
    with engine.connect() as connection, connection.begin():
        command.downgrade(alembic_config(connection), revision)
