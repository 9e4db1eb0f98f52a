"""Revision 0013: its tables appear on upgrade, go on downgrade, and the receipts and
contact notes cannot be changed or deleted, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, inspect, text
from sqlalchemy.exc import DatabaseError

from loanwatch.migrations import migrate
from tests.portfolio.databases import database, postgres_engine, sqlite_engine
from tests.unmigrated import downgrade

__all__ = ["database", "postgres_engine", "sqlite_engine"]

NEW_TABLES = {"write_receipt", "contact_note", "persisted_document"}


def test_0013_adds_its_tables_and_its_downgrade_removes_them(sqlite_engine: Engine) -> None:
    assert set(inspect(sqlite_engine).get_table_names()) >= NEW_TABLES
    downgrade(sqlite_engine, "0012")
    assert not NEW_TABLES & set(inspect(sqlite_engine).get_table_names())
    migrate(sqlite_engine)
    assert set(inspect(sqlite_engine).get_table_names()) >= NEW_TABLES


@pytest.mark.parametrize("statement", [
    "UPDATE write_receipt SET actor = 'mallory'",
    "DELETE FROM write_receipt",
    "UPDATE contact_note SET text = 'nothing happened'",
    "DELETE FROM contact_note",
])
def test_receipts_and_notes_are_append_only(database: Engine, statement: str) -> None:
    now = datetime.now(UTC)
    with database.begin() as connection:
        connection.execute(text(
            "INSERT INTO write_receipt (operation, event_id, payload_sha256, result, actor, "
            "recorded_at) VALUES ('op', 'e1', 'x', '{}', 'ann', :now)"), {"now": now})
        connection.execute(text(
            "INSERT INTO contact_note (party_id, channel, contacted_at, text, author, "
            "recorded_at) VALUES ('P1', 'call', :now, 'said hello', 'ann', :now)"),
            {"now": now})

    with pytest.raises(DatabaseError, match="append-only"), database.begin() as connection:
        connection.execute(text(statement))
