"""Engines, migrations and reachability checks of the relational store."""

from __future__ import annotations

import socket
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, inspect, select
from sqlmodel import Session

from loanwatch.errors import BackendUnavailable
from loanwatch.migrations import alembic_config, migrate
from loanwatch.migrations.metadata import all_metadata
from portfolio.bureau import BureauSnapshot
from portfolio.database import (
    check_database,
    create_sql_engine,
    display_url,
    normalise_url,
)
from portfolio.imports import ImportBatch, ImportStatus, RejectedRow
from portfolio.loans import Loan, LoanStatus
from portfolio.repayments import Repayment
from portfolio.schedule import Installment

TABLES = {"loan", "installment", "repayment", "bureau_snapshot", "loan_modification",
          "import_batch", "rejected_row", "graph_node", "graph_edge", "alembic_version",
          "alert", "alert_event", "scan_run", "scan_pointer", "scan_loan_result",
          "scan_finding", "scan_finding_member", "scan_alert", "scan_party_features",
          "scan_party_exposure", "loan_override", "model_registry", "model_promotion",
          "scan_party_score", "graph_meta", "key_rotation",
          # the OAuth server's (revision 0010)
          "oauth_client", "oauth_user", "oauth_authorization_code", "oauth_refresh_token",
          "oauth_signing_key", "oauth_revocation",
          # the audit trail's (revision 0012)
          "audit_log",
          # the API's writes and persisted documents (revision 0013)
          "write_receipt", "contact_note", "persisted_document",
          # collections: runs, bucket history, cases (revision 0016)
          "collection_run", "bucket_move", "collection_case", "collection_case_event",
          # the job machinery's (revision 0015)
          "job_unit", "job_schedule", "job_dead_letter",
          # reviews (revision 0017)
          "review", "review_schedule",
          # collections strategies and promises to pay (revision 0018)
          "strategy_assignment", "collection_action", "contact_preference", "promise_to_pay",
          # disposals (revision 0019)
          "disposal", "disposal_event",
          # the notification outbox (revision 0020)
          "notification",
          # the event flow's follow-ups of serious alerts (revision 0021)
          "alert_follow_up"}


def _head_revision(connection: Connection) -> str:
    """The newest revision of the migration history."""
    head = ScriptDirectory.from_config(alembic_config(connection)).get_current_head()
    assert head is not None
    return head


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.parametrize(("given", "expected"), [
    ("postgresql://u:p@h:5432/db", "postgresql+psycopg://u:p@h:5432/db"),
    ("postgres://u:p@h/db", "postgresql+psycopg://u:p@h/db"),
    ("postgresql+psycopg://u:p@h/db", "postgresql+psycopg://u:p@h/db"),
    ("sqlite:///var/x.db", "sqlite:///var/x.db"),
])
def test_urls_are_normalised_to_the_installed_drivers(given: str, expected: str) -> None:
    assert normalise_url(given).render_as_string(hide_password=False) == expected


def test_display_url_hides_the_password() -> None:
    assert display_url("postgresql://loan:s3cret@db:5432/lw") == "postgresql://loan:***@db:5432/lw"


def test_sqlite_engine_runs_in_wal_mode_with_foreign_keys_and_creates_its_folder(
    tmp_path: Path,
) -> None:
    engine = create_sql_engine(f"sqlite:///{tmp_path / 'deep' / 'er' / 'lw.db'}")
    try:
        with engine.connect() as connection:
            pragmas = {name: connection.exec_driver_sql(f"PRAGMA {name}").scalar()
                       for name in ("journal_mode", "foreign_keys", "synchronous")}
    finally:
        engine.dispose()
    assert pragmas == {"journal_mode": "wal", "foreign_keys": 1, "synchronous": 1}
    assert (tmp_path / "deep" / "er" / "lw.db").is_file()


def test_unreachable_postgres_is_reported_with_its_address_and_no_password() -> None:
    port = _closed_port()
    engine = create_sql_engine(f"postgresql://loanwatch:hunter2@127.0.0.1:{port}/lw")
    with pytest.raises(BackendUnavailable) as caught:
        check_database(engine)
    engine.dispose()
    assert caught.value.address == f"postgresql+psycopg://loanwatch:***@127.0.0.1:{port}/lw"
    assert "hunter2" not in str(caught.value)
    assert str(caught.value).startswith(
        f"cannot reach the SQL database at postgresql+psycopg://loanwatch:***@127.0.0.1:{port}/lw"
    )


def test_migrate_raises_backend_unavailable_when_the_server_is_down() -> None:
    engine = create_sql_engine(f"postgresql://loanwatch:x@127.0.0.1:{_closed_port()}/lw")
    with pytest.raises(BackendUnavailable):
        migrate(engine)
    engine.dispose()


def test_a_sqlite_folder_that_cannot_be_created_is_reported(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("not a folder")
    with pytest.raises(BackendUnavailable, match="cannot create the folder"):
        create_sql_engine(f"sqlite:///{tmp_path / 'file' / 'lw.db'}")


def test_migrations_create_every_table_and_match_the_models(database: Engine) -> None:
    migrate(database)  # a second run changes nothing
    with database.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert context.get_current_revision() == _head_revision(connection)
        assert compare_metadata(context, all_metadata()) == []
        assert set(inspect(connection).get_table_names()) == TABLES


def test_migrations_create_the_indexes_queries_need(sqlite_engine: Engine) -> None:
    inspector = inspect(sqlite_engine)
    indexes = {table: {tuple(ix["column_names"]) for ix in inspector.get_indexes(table)}
               for table in ("loan", "repayment", "bureau_snapshot", "rejected_row",
                             "loan_modification", "loan_override")}
    assert indexes == {
        "loan": {("borrower_id",)},
        "repayment": {("loan_id", "paid_on")},
        "bureau_snapshot": {("party_id", "as_of")},
        "rejected_row": {("batch_id", "id")},
        "loan_modification": {("loan_id", "effective_on")},
        "loan_override": {("loan_id", "id"), ("revokes_id",)},
    }
    assert inspector.get_pk_constraint("installment")["constrained_columns"] == ["loan_id", "seq"]


def test_records_round_trip_exactly(database: Engine) -> None:
    loan = Loan(id="L1", borrower_id="P1", product="consumer",
                principal_minor=123456789012345678, currency="CNY",
                annual_rate=Decimal("0.043500"), term_months=12,
                disbursed_on=date(2024, 1, 15), maturity_on=date(2025, 1, 15),
                repayment_method="annuity")
    with Session(database) as session:
        session.add(loan)
        session.add(Installment(loan_id="L1", seq=1, due_on=date(2024, 2, 15),
                                principal_due_minor=10010, interest_due_minor=435,
                                currency="CNY"))
        session.add(Repayment(id="R1", loan_id="L1", paid_on=date(2024, 2, 15),
                              amount_minor=10445, currency="CNY"))
        session.add(BureauSnapshot(id="B1", party_id="P1", as_of=date(2024, 6, 1), score=712))
        session.commit()
    with Session(database) as session:
        stored = session.get(Loan, "L1")
        assert stored is not None
        # Minor units near the top of the range survive: a REAL would have lost the last digits.
        assert (stored.principal_minor, stored.annual_rate, stored.disbursed_on,
                stored.status) == (123456789012345678, Decimal("0.043500"), date(2024, 1, 15),
                                   LoanStatus.ACTIVE.value)
        assert session.exec(select(Installment.interest_due_minor)).one() == (435,)
        assert session.get(Repayment, "R1").amount_minor == 10445  # type: ignore[union-attr]
        assert session.get(BureauSnapshot, "B1").total_debt_minor is None  # type: ignore[union-attr]


def test_a_schedule_cannot_point_at_a_missing_loan(sqlite_engine: Engine) -> None:
    from sqlalchemy.exc import IntegrityError

    with Session(sqlite_engine) as session, pytest.raises(IntegrityError):
        session.add(Installment(loan_id="nope", seq=1, due_on=date(2024, 2, 15),
                                principal_due_minor=1, interest_due_minor=0, currency="CNY"))
        session.commit()


def test_import_batches_keep_their_rejected_rows(database: Engine) -> None:
    from datetime import UTC, datetime

    with Session(database) as session:
        batch = ImportBatch(started_at=datetime(2025, 1, 2, 3, 4, tzinfo=UTC),
                            files=["persons.csv"], counts={"persons": 2})
        session.add(batch)
        session.commit()
        session.add(RejectedRow(batch_id=batch.id, file="persons.csv", line=3, field="id",
                                reason="required value is missing", raw=",Bob"))
        session.commit()
        stored = session.get(ImportBatch, batch.id)
        assert stored is not None
        assert (stored.status, stored.files, stored.counts) == (
            ImportStatus.RUNNING.value, ["persons.csv"], {"persons": 2})
        rows = session.exec(select(RejectedRow.line, RejectedRow.field)).all()
        assert [tuple(r) for r in rows] == [(3, "id")]
