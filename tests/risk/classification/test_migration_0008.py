"""Migration 0008 on both databases: the override trail and the loans' PD at origination
arrive without touching stored rows, and go again on downgrade."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, inspect, text
from sqlalchemy.exc import DBAPIError

from loanwatch.migrations import migrate
from tests.unmigrated import downgrade


def _loans(engine: Engine) -> list[tuple[object, ...]]:
    with engine.connect() as connection:
        return [tuple(row) for row in connection.execute(text(
            "SELECT id, principal_minor, status FROM loan ORDER BY id"))]


def test_0008_adds_and_removes_its_table_and_column(unmigrated_database: Engine) -> None:
    migrate(unmigrated_database, "0007")
    with unmigrated_database.begin() as connection:
        connection.execute(text(
            "INSERT INTO loan (id, borrower_id, product, principal_minor, currency, "
            "annual_rate, term_months, disbursed_on, maturity_on, repayment_method, status) "
            "VALUES ('L1', 'C1', 'working_capital', 12345, 'CNY', 0.05, 12, '2024-01-01', "
            "'2025-01-01', 'bullet', 'active')"))

    migrate(unmigrated_database, "0008")
    inspector = inspect(unmigrated_database)
    assert "loan_override" in inspector.get_table_names()
    assert "origination_pd" in {c["name"] for c in inspector.get_columns("loan")}
    assert _loans(unmigrated_database) == [("L1", 12345, "active")]
    with unmigrated_database.begin() as connection:
        connection.execute(text("UPDATE loan SET origination_pd = 0.0125"))
        connection.execute(text(
            "INSERT INTO loan_override (loan_id, action, tier, reason, actor, valid_from, "
            "created_at) VALUES ('L1', 'set', 'loss', 'fraud', 'ann', '2024-06-01', "
            "'2024-06-01 10:00:00')"))
        assert connection.execute(text("SELECT origination_pd FROM loan")).scalar() == 0.0125
    # Append-only in the database itself: no statement rewrites or removes the trail.
    for statement in ("UPDATE loan_override SET reason = 'nothing happened'",
                      "DELETE FROM loan_override"):
        with pytest.raises(DBAPIError, match="loan_override is append-only"), \
                unmigrated_database.begin() as connection:
            connection.execute(text(statement))
    with unmigrated_database.connect() as connection:
        assert connection.execute(text("SELECT reason FROM loan_override")).all() == [
            ("fraud",)]

    downgrade(unmigrated_database, "0007")
    inspector = inspect(unmigrated_database)
    assert "loan_override" not in inspector.get_table_names()
    assert "origination_pd" not in {c["name"] for c in inspector.get_columns("loan")}
    assert _loans(unmigrated_database) == [("L1", 12345, "active")]
