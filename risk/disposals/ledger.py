"""One loan's account as of a date: its schedule, its repayments, what is paid, overdue and
outstanding, read inside the caller's transaction.

The allocation rule is the one of :mod:`risk.classification.delinquency`: the repayments
up to the date are pooled and applied to the installments in schedule order, interest
before principal within an installment; money beyond every installment is a prepayment of
principal. Agreed payment pauses move when an installment is *overdue*, not what it owes,
so the amounts here ignore them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, Final

from sqlalchemy import Connection, Table, func, select

from portfolio.loans import Loan
from portfolio.repayments import Repayment
from portfolio.schedule import Installment

__all__ = ["LoanAccount", "ScheduleRow", "read_account"]

_loan: Final[Table] = Loan.__table__  # type: ignore[attr-defined]
_installment: Final[Table] = Installment.__table__  # type: ignore[attr-defined]
_repayment: Final[Table] = Repayment.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True, slots=True)
class ScheduleRow:
    seq: int
    due_on: date
    principal_minor: int
    interest_minor: int

    def as_json(self) -> dict[str, Any]:
        return {"seq": self.seq, "due_on": self.due_on.isoformat(),
                "principal_minor": self.principal_minor, "interest_minor": self.interest_minor}


@dataclass(frozen=True, slots=True)
class LoanAccount:
    """Loan ``loan_id`` as of ``as_of`` (amounts in minor units of ``currency``)."""

    loan_id: str
    borrower_id: str
    status: str
    currency: str
    principal_minor: int
    annual_rate: Decimal
    disbursed_on: date
    maturity_on: date
    term_months: int
    as_of: date
    schedule: tuple[ScheduleRow, ...]
    #: Every repayment received on or before ``as_of``.
    paid_minor: int
    #: Principal not yet repaid (prepayments included).
    outstanding_principal_minor: int
    #: Unpaid principal and interest of the installments due before ``as_of``.
    overdue_principal_minor: int
    overdue_interest_minor: int
    #: Unpaid interest of the installments due on or before ``as_of``.
    interest_due_minor: int

    @property
    def claim_minor(self) -> int:
        """What the borrower owes on ``as_of``: the principal outstanding and the interest
        due and unpaid (what a write-off in full writes off)."""
        return self.outstanding_principal_minor + self.interest_due_minor

    def figures(self) -> dict[str, Any]:
        """The amounts, as JSON (kept with a proposal)."""
        return {"as_of": self.as_of.isoformat(), "paid_minor": self.paid_minor,
                "outstanding_principal_minor": self.outstanding_principal_minor,
                "overdue_principal_minor": self.overdue_principal_minor,
                "overdue_interest_minor": self.overdue_interest_minor,
                "interest_due_minor": self.interest_due_minor,
                "claim_minor": self.claim_minor}


def read_account(connection: Connection, loan_id: str, as_of: date) -> LoanAccount | None:
    """Loan ``loan_id``'s account as of ``as_of``, or ``None`` when there is no such loan.

    Complexity: one query each for the loan, its schedule and the sum of its repayments.
    """
    loan = connection.execute(select(_loan).where(_loan.c.id == loan_id)).first()
    if loan is None:
        return None
    schedule = tuple(ScheduleRow(r.seq, r.due_on, r.principal_due_minor, r.interest_due_minor)
                     for r in connection.execute(
                         select(_installment.c.seq, _installment.c.due_on,
                                _installment.c.principal_due_minor,
                                _installment.c.interest_due_minor)
                         .where(_installment.c.loan_id == loan_id)
                         .order_by(_installment.c.seq)))
    paid = int(connection.execute(
        select(func.coalesce(func.sum(_repayment.c.amount_minor), 0))
        .where(_repayment.c.loan_id == loan_id, _repayment.c.paid_on <= as_of)).scalar_one())
    pool = paid
    principal_paid = overdue_principal = overdue_interest = interest_due = 0
    for row in schedule:
        to_interest = min(pool, row.interest_minor)
        to_principal = min(pool - to_interest, row.principal_minor)
        pool -= to_interest + to_principal
        principal_paid += to_principal
        if row.due_on <= as_of:
            interest_due += row.interest_minor - to_interest
        if row.due_on < as_of:
            overdue_interest += row.interest_minor - to_interest
            overdue_principal += row.principal_minor - to_principal
    outstanding = max(loan.principal_minor - principal_paid - pool, 0)
    return LoanAccount(
        loan_id=loan.id, borrower_id=loan.borrower_id, status=loan.status,
        currency=loan.currency, principal_minor=loan.principal_minor,
        annual_rate=Decimal(loan.annual_rate), disbursed_on=loan.disbursed_on,
        maturity_on=loan.maturity_on, term_months=loan.term_months, as_of=as_of,
        schedule=schedule, paid_minor=paid, outstanding_principal_minor=outstanding,
        overdue_principal_minor=overdue_principal, overdue_interest_minor=overdue_interest,
        interest_due_minor=interest_due)
