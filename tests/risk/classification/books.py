"""Tiny loan books written inline into a migrated database, and their classification."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import date, timedelta
from typing import Any

import numpy as np
from sqlalchemy import Engine, insert

from portfolio.bureau import BureauSnapshot
from portfolio.loans import Loan
from portfolio.modifications import Modification
from portfolio.repayments import Repayment
from portfolio.schedule import Installment
from risk.classification.book import load_book
from risk.classification.config import DEFAULT_CLASSIFICATION, ClassificationConfig
from risk.classification.delinquency import delinquency
from risk.classification.five_tier import QualitativeSignal, TierResult, classify_tiers

__all__ = ["add_loan", "bureau", "classify", "modify", "month_end", "pay", "write"]

START = date(2024, 1, 1)


def month_end(year: int, month: int) -> date:
    first_next = date(year + month // 12, month % 12 + 1, 1)
    return first_next - timedelta(days=1)


def write(engine: Engine, model: Any, rows: Sequence[Mapping[str, Any]]) -> None:
    if rows:
        with engine.begin() as connection:
            connection.execute(insert(model.__table__), list(rows))


def add_loan(engine: Engine, loan_id: str, borrower: str, dues: Sequence[date], *,
             principal_each: int = 1_000, interest_each: int = 100,
             disbursed: date = START, currency: str = "CNY") -> None:
    """A loan repaid in ``len(dues)`` equal installments due on ``dues``."""
    write(engine, Loan, [{
        "id": loan_id, "borrower_id": borrower, "product": "working_capital",
        "principal_minor": principal_each * len(dues), "currency": currency,
        "annual_rate": "0.120000", "term_months": len(dues), "disbursed_on": disbursed,
        "maturity_on": dues[-1], "repayment_method": "equal_principal", "status": "active"}])
    write(engine, Installment, [
        {"loan_id": loan_id, "seq": i + 1, "due_on": due, "principal_due_minor": principal_each,
         "interest_due_minor": interest_each, "currency": currency}
        for i, due in enumerate(dues)])


def pay(engine: Engine, loan_id: str, payments: Sequence[tuple[date, int]]) -> None:
    write(engine, Repayment, [
        {"id": f"{loan_id}-R{day.isoformat()}-{i}", "loan_id": loan_id, "paid_on": day,
         "amount_minor": amount, "currency": "CNY", "channel": None}
        for i, (day, amount) in enumerate(payments)])


def modify(engine: Engine, mod_id: str, loan_id: str, kind: str, effective: date, *,
           pause_until: date | None = None, difficulty: bool = False) -> None:
    write(engine, Modification, [{
        "id": mod_id, "loan_id": loan_id, "kind": kind, "effective_on": effective,
        "pause_until": pause_until, "reason": None, "financial_difficulty": difficulty}])


def bureau(engine: Engine, snap_id: str, party: str, as_of: date, total: int,
           overdue_90: int) -> None:
    write(engine, BureauSnapshot, [{
        "id": snap_id, "party_id": party, "as_of": as_of, "score": 600, "open_loans": 2,
        "total_debt_minor": total, "currency": "CNY", "overdue_accounts": 1,
        "inquiries_6m": 0, "overdue_90_minor": overdue_90}])


def classify(engine: Engine, as_of: date, *, config: ClassificationConfig =
             DEFAULT_CLASSIFICATION,
             qualitative: Mapping[str, Sequence[QualitativeSignal]] | None = None,
             impaired: Collection[str] = ()) -> dict[str, TierResult]:
    """Tiers as of ``as_of``; borrowers whose id starts with ``P`` are retail."""
    book = load_book(engine, as_of)
    retail = np.array([b.startswith("P") for b in book.borrower_ids.tolist()], dtype=bool)
    results = classify_tiers(book, delinquency(book), retail, config=config,
                             qualitative=qualitative, impaired=impaired)
    return {r.loan_id: r for r in results}
