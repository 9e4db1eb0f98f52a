"""Loan modifications and the bureau's overdue_90_total: good rows stored, bad rows
rejected naming the field, on both databases."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from sqlalchemy import Engine

from graph.stores.embedded import EmbeddedGraphStore
from tests.ingest.importing import import_files, rejects_of, rows_of, write

PARTIES = """
    id,name
    C1,Acme Ltd
    """
LOANS = """
    id,borrower_id,product,principal,currency,annual_rate,term_months,disbursed_on,maturity_on,repayment_method
    L1,C1,working_capital,1000.00,CNY,0.05,12,2024-01-15,2025-01-15,annuity
    """
MODIFICATIONS = """
    id,loan_id,kind,effective_on,pause_until,reason,financial_difficulty
    M1,L1,payment_pause,2024-06-01,2024-07-31,flood,true
    M2,L1,restructuring,2024-09-01,,sales fell,
    M3,L1,haircut,2024-09-01,,,false
    M4,L1,payment_pause,2024-06-01,2024-05-31,,false
    M5,L1,payment_pause,2024-06-01,,,false
    M6,L1,term_extension,2024-06-01,2024-07-31,,false
    M7,L1,term_extension,2024-06-01,,,maybe
    M8,L404,term_extension,2024-06-01,,,false
    """
BUREAU = """
    id,party_id,as_of,score,total_debt,overdue_90_total
    B1,C1,2024-06-30,600,1000.00,250.50
    B2,C1,2024-07-31,600,1000.00,1000.01
    """


def test_modifications_and_bureau_overdue_import_and_bad_rows_are_named(
        tmp_path: Path, database: Engine, graph: EmbeddedGraphStore) -> None:
    files = [write(tmp_path, "companies.csv", PARTIES), write(tmp_path, "loans.csv", LOANS),
             write(tmp_path, "modifications.csv", MODIFICATIONS),
             write(tmp_path, "bureau.csv", BUREAU)]

    report = import_files(files, graph, database)

    assert rejects_of(report) == [
        ("bureau.csv", 3, "overdue_90_total", "must not exceed total_debt (1000.00)"),
        ("modifications.csv", 4, "kind", "must be one of payment_pause, restructuring, "
                                         "term_extension; got 'haircut'"),
        ("modifications.csv", 5, "pause_until", "must not be before effective_on (2024-06-01)"),
        ("modifications.csv", 6, "pause_until", "is required for a payment_pause (its last day)"),
        ("modifications.csv", 7, "pause_until",
         "applies to a payment_pause only, not to a term_extension"),
        ("modifications.csv", 8, "financial_difficulty", "must be true or false; got 'maybe'"),
        ("modifications.csv", 9, "loan_id",
         "unknown loan 'L404': not in this import and not stored"),
    ]
    assert rows_of(database, "SELECT id, kind, effective_on, pause_until, reason, "
                             "financial_difficulty FROM loan_modification ORDER BY id") in (
        [("M1", "payment_pause", date(2024, 6, 1), date(2024, 7, 31), "flood", True),
         ("M2", "restructuring", date(2024, 9, 1), None, "sales fell", False)],
        # SQLite hands back dates as text and booleans as integers through raw SQL.
        [("M1", "payment_pause", "2024-06-01", "2024-07-31", "flood", 1),
         ("M2", "restructuring", "2024-09-01", None, "sales fell", 0)],
    )
    assert rows_of(database, "SELECT id, total_debt_minor, overdue_90_minor, currency "
                             "FROM bureau_snapshot") == [("B1", 100000, 25050, "CNY")]
