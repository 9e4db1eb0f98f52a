"""Revision 0002 turns the NUMERIC amounts of a 0.1.0 database into exact minor units, on
SQLite and PostgreSQL, and refuses (changing nothing) amounts it could only round."""

from __future__ import annotations

import pytest
from alembic import command
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, text
from sqlalchemy.exc import IntegrityError

from loanwatch.migrations import MIGRATIONS_DIR, alembic_config, migrate
from portfolio.errors import MigrationError

#: Rows as 0.1.0 stored them: amounts as NUMERIC(18, 2) text, no currency but the loan's.
OLD_ROWS = [
    "INSERT INTO loan (id, borrower_id, product, principal, currency, annual_rate, term_months,"
    " disbursed_on, maturity_on, repayment_method, status) VALUES"
    " ('L1', 'C1', 'working_capital', 12345678901.23, 'CNY', 0.05, 12, '2024-01-15',"
    " '2025-01-15', 'bullet', 'active'),"
    " ('L2', 'C2', 'working_capital', 1000000, 'JPY', 0.01, 12, '2024-01-15', '2025-01-15',"
    " 'bullet', 'active'),"
    " ('L3', 'P1', 'consumer', 1.25, 'KWD', 0.05, 12, '2024-01-15', '2025-01-15', 'bullet',"
    " 'closed')",
    "INSERT INTO installment (loan_id, seq, due_on, principal_due, interest_due) VALUES"
    " ('L1', 1, '2024-02-15', 0.10, 0.20), ('L1', 2, '2024-03-15', 0.20, 0.10),"
    " ('L2', 1, '2024-02-15', 500000, 834), ('L3', 1, '2024-02-15', 0.62, 0.01)",
    "INSERT INTO repayment (id, loan_id, paid_on, amount, channel) VALUES"
    " ('R1', 'L1', '2024-02-15', 0.10, 'bank'), ('R2', 'L1', '2024-02-16', 0.20, NULL),"
    " ('R3', 'L2', '2024-02-16', 500834, NULL)",
    "INSERT INTO bureau_snapshot (id, party_id, as_of, score, open_loans, total_debt,"
    " overdue_accounts, inquiries_6m) VALUES ('B1', 'P1', '2024-06-01', 700, 2, 99999.99, 0, 1),"
    " ('B2', 'P2', '2024-06-01', 650, NULL, NULL, NULL, NULL)",
]


def _rows(engine: Engine, sql: str) -> list[tuple[object, ...]]:
    with engine.connect() as connection:
        return [tuple(row) for row in connection.execute(text(sql))]


def _head() -> str | None:
    """The newest revision of the history (0002 or any later one)."""
    return ScriptDirectory(str(MIGRATIONS_DIR)).get_current_head()


def _revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def test_a_foundation_database_gets_exact_minor_units(unmigrated_database: Engine) -> None:
    migrate(unmigrated_database, "0001")
    with unmigrated_database.begin() as connection:
        for statement in OLD_ROWS:
            connection.execute(text(statement))

    migrate(unmigrated_database)

    assert _revision(unmigrated_database) == _head()
    assert _rows(unmigrated_database, "SELECT id, principal_minor, currency, status FROM loan "
                                 "ORDER BY id") == [
        ("L1", 1234567890123, "CNY", "active"), ("L2", 1000000, "JPY", "active"),
        ("L3", 1250, "KWD", "closed")]
    assert _rows(unmigrated_database,
                 "SELECT loan_id, seq, principal_due_minor, interest_due_minor, "
                 "currency FROM installment ORDER BY loan_id, seq") == [
        ("L1", 1, 10, 20, "CNY"), ("L1", 2, 20, 10, "CNY"), ("L2", 1, 500000, 834, "JPY"),
        ("L3", 1, 620, 10, "KWD")]
    assert _rows(unmigrated_database, "SELECT id, amount_minor, currency, channel FROM repayment "
                                 "ORDER BY id") == [
        ("R1", 10, "CNY", "bank"), ("R2", 20, "CNY", None), ("R3", 500834, "JPY", None)]
    assert _rows(unmigrated_database, "SELECT id, total_debt_minor, currency, open_loans FROM "
                                 "bureau_snapshot ORDER BY id") == [
        ("B1", 9999999, "CNY", 2), ("B2", None, None, None)]
    # The schedules and repayments are still tied to their loans.
    with pytest.raises(IntegrityError), unmigrated_database.begin() as connection:
        connection.execute(text("INSERT INTO installment (loan_id, seq, due_on, "
                                "principal_due_minor, interest_due_minor, currency) "
                                "VALUES ('L404', 1, '2024-02-15', 1, 1, 'CNY')"))
    migrate(unmigrated_database)  # again: nothing to do


def test_amounts_that_only_rounding_could_convert_stop_the_upgrade(
        unmigrated_database: Engine) -> None:
    migrate(unmigrated_database, "0001")
    with unmigrated_database.begin() as connection:
        for statement in OLD_ROWS:
            connection.execute(text(statement))
        connection.execute(text("UPDATE installment SET interest_due = 834.50 "
                                "WHERE loan_id = 'L2'"))

    with pytest.raises(MigrationError) as caught:
        migrate(unmigrated_database)

    assert "installment L2#1: interest_due 834.5" in caught.value.message
    assert "JPY" in caught.value.message
    assert _revision(unmigrated_database) == "0001"
    assert _rows(unmigrated_database, "SELECT principal FROM loan WHERE id = 'L2'") == [(1000000,)]


def test_revision_0002_refuses_to_be_undone(unmigrated_database: Engine) -> None:
    migrate(unmigrated_database, "0002")
    with unmigrated_database.connect() as connection, connection.begin():
        config = alembic_config(connection)
        with pytest.raises(MigrationError, match="cannot be undone") as refused:
            command.downgrade(config, "0001")
    assert refused.value.suggestion == "restore the backup taken before the upgrade"
    assert _revision(unmigrated_database) == "0002"
