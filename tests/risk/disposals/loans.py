"""A small annuity loan written inline, the people of the tests, and reading back."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, Final

from sqlalchemy import Engine, select

from auth.principal import Role
from portfolio.loans import Loan
from portfolio.schedule import Installment
from risk.disposals import Person
from risk.disposals.amortization import amortize, monthly, period_rate
from tests.risk.classification.books import write

__all__ = ["ANALYST", "COLLECTOR", "LOAN", "MANAGER", "RATE", "SECOND_MANAGER", "T0",
           "add_annuity_loan", "installments", "loan_row"]

LOAN: Final = "L-1"
RATE: Final = Decimal("0.120000")
DISBURSED: Final = date(2026, 1, 15)
T0: Final = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
COLLECTOR: Final = Person("cole", Role.COLLECTOR)
MANAGER: Final = Person("mona", Role.MANAGER)
SECOND_MANAGER: Final = Person("max", Role.MANAGER)
ANALYST: Final = Person("ana", Role.ANALYST)


def add_annuity_loan(engine: Engine, loan_id: str = LOAN, *, principal: int = 1_200_000,
                     count: int = 12) -> list[Installment]:
    """A monthly annuity of ``principal`` cents at 12 % disbursed on 2026-01-15, its first
    installment due on 2026-02-15."""
    dues = monthly(date(2026, 2, 15), count)
    rows = amortize(principal, period_rate(RATE, 1), dues)
    write(engine, Loan, [{
        "id": loan_id, "borrower_id": "P-1", "product": "consumer_loan",
        "principal_minor": principal, "currency": "CNY", "annual_rate": RATE,
        "term_months": count, "disbursed_on": DISBURSED, "maturity_on": dues[-1],
        "repayment_method": "annuity", "status": "active"}])
    write(engine, Installment, [
        {"loan_id": loan_id, "seq": k + 1, "due_on": r.due_on,
         "principal_due_minor": r.principal_minor, "interest_due_minor": r.interest_minor,
         "currency": "CNY"} for k, r in enumerate(rows)])
    return installments(engine, loan_id)


def installments(engine: Engine, loan_id: str = LOAN) -> list[Installment]:
    table: Any = Installment.__table__  # type: ignore[attr-defined]
    with engine.connect() as connection:
        return [Installment(**row._mapping) for row in connection.execute(
            select(table).where(table.c.loan_id == loan_id).order_by(table.c.seq))]


def loan_row(engine: Engine, loan_id: str = LOAN) -> Any:
    table: Any = Loan.__table__  # type: ignore[attr-defined]
    with engine.connect() as connection:
        return connection.execute(select(table).where(table.c.id == loan_id)).one()
