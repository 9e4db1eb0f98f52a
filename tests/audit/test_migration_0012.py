"""Migration 0012 on both databases: the audit table arrives append-only beside the stored
rows and goes again on downgrade, its triggers with it."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, inspect, text
from sqlalchemy.exc import DBAPIError

from loanwatch.migrations import migrate
from tests.unmigrated import downgrade


def test_0012_adds_the_append_only_audit_table_and_removes_it(
        unmigrated_database: Engine) -> None:
    migrate(unmigrated_database, "0009")
    assert "audit_log" not in inspect(unmigrated_database).get_table_names()
    migrate(unmigrated_database, "0012")
    columns = {c["name"] for c in inspect(unmigrated_database).get_columns("audit_log")}
    assert columns == {"seq", "at", "action", "client_id", "user_login", "operation", "targets",
                       "source", "request_id", "detail", "key_id", "mac"}
    with unmigrated_database.begin() as connection:
        connection.execute(text(
            "INSERT INTO audit_log VALUES (1, '2026-12-01T09:00:00.000000+00:00', 'login', "
            "'console', 'ann', 'login', '[]', '10.0.0.7', '', '{}', 'k', 'm')"))
    with pytest.raises(DBAPIError, match="audit_log is append-only"), \
            unmigrated_database.begin() as connection:
        connection.execute(text("DELETE FROM audit_log"))
    downgrade(unmigrated_database, "0009")
    assert "audit_log" not in inspect(unmigrated_database).get_table_names()
    assert "model_promotion" in inspect(unmigrated_database).get_table_names()
