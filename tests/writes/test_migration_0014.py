"""Revision 0014, on SQLite and PostgreSQL: the receipts of contact notes forget the text
they kept in clear (other receipts untouched, still append-only), a note's text may only be
re-sealed, and the downgrade makes notes wholly append-only again."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from alembic import command
from sqlalchemy import Engine, text
from sqlalchemy.exc import DatabaseError

from loanwatch.migrations import alembic_config, migrate
from tests.unmigrated import downgrade, unmigrated_database

__all__ = ["unmigrated_database"]

NOW = datetime(2025, 6, 1, 9, 30, tzinfo=UTC)
SEALED = "lw1$1$c2VhbGVk"


def _upgrade_to(engine: Engine, revision: str) -> None:
    with engine.connect() as connection, connection.begin():
        command.upgrade(alembic_config(connection), revision)


def _receipts(engine: Engine) -> dict[str, object]:
    with engine.connect() as connection:
        return {row.event_id: json.loads(row.result) if isinstance(row.result, str)
                else row.result for row in connection.execute(
                    text("SELECT event_id, result FROM write_receipt ORDER BY event_id"))}


def test_0014_forgets_note_texts_in_receipts_and_allows_only_resealing(
        unmigrated_database: Engine) -> None:
    engine = unmigrated_database
    _upgrade_to(engine, "0013")
    with engine.begin() as connection:
        for operation, event_id, result in (
                ("contact_note:add", "call-1", '{"id": 1, "text": "New mobile 13900000000"}'),
                ("repayment:record", "pay-1", '{"id": "R1", "text": "kept"}')):
            connection.execute(text(
                "INSERT INTO write_receipt (operation, event_id, payload_sha256, result, actor, "
                "recorded_at) VALUES (:op, :event, 'x', :result, 'ann', :now)"),
                {"op": operation, "event": event_id, "result": result, "now": NOW})
        connection.execute(text(
            "INSERT INTO contact_note (party_id, channel, contacted_at, text, author, "
            "recorded_at) VALUES ('P1', 'call', :now, 'in clear', 'ann', :now)"), {"now": NOW})

    migrate(engine)

    assert _receipts(engine) == {"call-1": {"id": 1}, "pay-1": {"id": "R1", "text": "kept"}}
    for statement in ("UPDATE write_receipt SET actor = 'mallory'", "DELETE FROM write_receipt",
                      "UPDATE contact_note SET text = 'changed'", "DELETE FROM contact_note"):
        with pytest.raises(DatabaseError, match="append-only"), engine.begin() as connection:
            connection.execute(text(statement))
    with engine.begin() as connection:  # what migrate / keys rotate do
        connection.execute(text("UPDATE contact_note SET text = :t"), {"t": SEALED})

    downgrade(engine, "0013")

    with pytest.raises(DatabaseError, match="append-only"), engine.begin() as connection:
        connection.execute(text("UPDATE contact_note SET text = :t"), {"t": SEALED + "x"})
