"""Migration 0009 on both databases: the registry, its promotions and the scan's scores
arrive beside the stored rows and go again on downgrade."""

from __future__ import annotations

from sqlalchemy import Engine, inspect

from loanwatch.migrations import migrate
from tests.unmigrated import downgrade

TABLES = {"model_registry", "model_promotion", "scan_party_score"}


def test_0009_adds_and_removes_its_tables(unmigrated_database: Engine) -> None:
    migrate(unmigrated_database, "0008")
    assert not TABLES & set(inspect(unmigrated_database).get_table_names())
    migrate(unmigrated_database, "0009")
    assert set(inspect(unmigrated_database).get_table_names()) >= TABLES
    columns = {c["name"] for c in inspect(unmigrated_database).get_columns("scan_party_score")}
    assert {"run_id", "party_id", "model_id", "pd", "points", "reasons"} <= columns
    downgrade(unmigrated_database, "0008")
    assert not TABLES & set(inspect(unmigrated_database).get_table_names())
    assert "loan_override" in inspect(unmigrated_database).get_table_names()
