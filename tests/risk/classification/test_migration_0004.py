"""Migration 0004 on both databases: the modifications table and the bureau's
overdue_90_minor arrive without touching stored rows, and go again on downgrade."""

from __future__ import annotations

from sqlalchemy import Engine, inspect, text

from loanwatch.migrations import migrate
from tests.unmigrated import downgrade


def test_0004_adds_and_removes_its_table_and_column(unmigrated_database: Engine) -> None:
    migrate(unmigrated_database, "0003")
    with unmigrated_database.begin() as connection:
        connection.execute(text(
            "INSERT INTO bureau_snapshot (id, party_id, as_of, score, total_debt_minor, "
            "currency) VALUES ('B1', 'C1', '2024-06-30', 700, 12345, 'CNY')"))

    migrate(unmigrated_database, "0004")
    inspector = inspect(unmigrated_database)
    assert "loan_modification" in inspector.get_table_names()
    columns = {c["name"] for c in inspector.get_columns("bureau_snapshot")}
    assert "overdue_90_minor" in columns
    with unmigrated_database.connect() as connection:
        assert connection.execute(text(
            "SELECT id, total_debt_minor, overdue_90_minor FROM bureau_snapshot")).all() == [
            ("B1", 12345, None)]

    downgrade(unmigrated_database, "0003")
    inspector = inspect(unmigrated_database)
    assert "loan_modification" not in inspector.get_table_names()
    assert "overdue_90_minor" not in {c["name"] for c in inspector.get_columns(
        "bureau_snapshot")}
    with unmigrated_database.connect() as connection:
        assert connection.execute(text("SELECT id FROM bureau_snapshot")).all() == [("B1",)]
