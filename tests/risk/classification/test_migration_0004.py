"""Migration 0004 on both databases: the modifications table and the bureau's
overdue_90_minor arrive without touching stored rows, and go again on downgrade."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, inspect, text

from loanwatch.migrations import MIGRATIONS_DIR, migrate
from portfolio.database import create_sql_engine
from tests.services import postgres_schema


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    if request.param == "sqlite":
        engine = create_sql_engine(f"sqlite:///{tmp_path / 'old.db'}")
        yield engine
        engine.dispose()
        return
    with postgres_schema("lw_0004") as engine:
        yield engine


def _downgrade(engine: Engine, revision: str) -> None:
    with engine.connect() as connection, connection.begin():
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS_DIR))
        config.attributes["connection"] = connection
        command.downgrade(config, revision)


def test_0004_adds_and_removes_its_table_and_column(empty_database: Engine) -> None:
    migrate(empty_database, "0003")
    with empty_database.begin() as connection:
        connection.execute(text(
            "INSERT INTO bureau_snapshot (id, party_id, as_of, score, total_debt_minor, "
            "currency) VALUES ('B1', 'C1', '2024-06-30', 700, 12345, 'CNY')"))

    migrate(empty_database, "0004")
    inspector = inspect(empty_database)
    assert "loan_modification" in inspector.get_table_names()
    columns = {c["name"] for c in inspector.get_columns("bureau_snapshot")}
    assert "overdue_90_minor" in columns
    with empty_database.connect() as connection:
        assert connection.execute(text(
            "SELECT id, total_debt_minor, overdue_90_minor FROM bureau_snapshot")).all() == [
            ("B1", 12345, None)]

    _downgrade(empty_database, "0003")
    inspector = inspect(empty_database)
    assert "loan_modification" not in inspector.get_table_names()
    assert "overdue_90_minor" not in {c["name"] for c in inspector.get_columns(
        "bureau_snapshot")}
    with empty_database.connect() as connection:
        assert connection.execute(text("SELECT id FROM bureau_snapshot")).all() == [("B1",)]
