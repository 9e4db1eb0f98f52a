"""What an approval does to the loan, in the approval's transaction: the new schedule and a
:class:`portfolio.modifications.Modification` for a restructuring, the loan written off,
a recovery counted, the net proceeds of a collateral sale applied as a repayment (or a
recovery, once written off)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any, Final

from sqlalchemy import Connection, Table, delete, insert, select, update

from portfolio.disposals import DisposalKind
from portfolio.loans import Loan, LoanStatus
from portfolio.modifications import REASON_LENGTH, Modification, ModificationKind
from portfolio.repayments import Repayment
from portfolio.schedule import Installment
from risk.disposals.plans import Plan
from risk.disposals.terms import RESTRUCTURINGS, Terms

__all__ = ["COLLATERAL_CHANNEL", "apply_plan", "record_id"]

#: The channel of the repayment a collateral sale becomes.
COLLATERAL_CHANNEL: Final = "collateral_sale"
_loan: Final[Table] = Loan.__table__  # type: ignore[attr-defined]
_installment: Final[Table] = Installment.__table__  # type: ignore[attr-defined]
_modification: Final[Table] = Modification.__table__  # type: ignore[attr-defined]
_repayment: Final[Table] = Repayment.__table__  # type: ignore[attr-defined]
_MODIFICATION_KIND: Final = {
    DisposalKind.TERM_EXTENSION: ModificationKind.TERM_EXTENSION,
    DisposalKind.PAYMENT_HOLIDAY: ModificationKind.PAYMENT_PAUSE,
    DisposalKind.REDUCED_INSTALLMENTS: ModificationKind.RESTRUCTURING,
}


def record_id(disposal_id: int) -> str:
    """The id of the modification or repayment that disposal ``disposal_id`` writes."""
    return f"DSP{disposal_id:06d}"


def _months_between(start: date, end: date) -> int:
    return max((end.year - start.year) * 12 + end.month - start.month, 1)


def apply_plan(connection: Connection, disposal_id: int, loan_id: str, currency: str,
               terms: Terms, plan: Plan, reason: str) -> dict[str, Any]:
    """Apply ``plan`` to loan ``loan_id``; return what was done (the outcome, JSON)."""
    details = plan.details
    if terms.kind in RESTRUCTURINGS:
        return _restructure(connection, disposal_id, loan_id, currency, terms, details, reason)
    if terms.kind is DisposalKind.WRITE_OFF:
        connection.execute(update(_loan).where(_loan.c.id == loan_id)
                           .values(status=LoanStatus.WRITTEN_OFF.value))
        return {"loan_status": LoanStatus.WRITTEN_OFF.value,
                "written_off_minor": plan.amount_minor}
    if terms.kind is DisposalKind.RECOVERY:
        return {"recovered_minor": plan.amount_minor}
    applied = int(details["applied_minor"])
    outcome: dict[str, Any] = {"applied_minor": applied, "applied_as": details["applied_as"]}
    if details["applied_as"] == "recovery":
        outcome["recovered_minor"] = applied
    elif applied > 0:
        connection.execute(insert(_repayment).values(
            id=record_id(disposal_id), loan_id=loan_id, paid_on=terms.effective_on,
            amount_minor=applied, currency=currency, channel=COLLATERAL_CHANNEL))
        outcome["repayment_id"] = record_id(disposal_id)
    return outcome


def _restructure(connection: Connection, disposal_id: int, loan_id: str, currency: str,
                 terms: Terms, details: dict[str, Any], reason: str) -> dict[str, Any]:
    day = terms.effective_on
    connection.execute(delete(_installment).where(_installment.c.loan_id == loan_id,
                                                  _installment.c.due_on >= day))
    rows = details["schedule"]
    if rows:
        connection.execute(insert(_installment), [{
            "loan_id": loan_id, "seq": r["seq"], "due_on": date.fromisoformat(r["due_on"]),
            "principal_due_minor": r["principal_minor"],
            "interest_due_minor": r["interest_minor"], "currency": currency} for r in rows])
    kind = _MODIFICATION_KIND[terms.kind]
    pause_until = None
    if kind is ModificationKind.PAYMENT_PAUSE:
        pause_until = date.fromisoformat(rows[0]["due_on"]) - timedelta(days=1) if rows \
            else day
    connection.execute(insert(_modification).values(
        id=record_id(disposal_id), loan_id=loan_id, kind=kind.value, effective_on=day,
        pause_until=pause_until, reason=reason[:REASON_LENGTH],
        financial_difficulty=terms.financial_difficulty))
    maturity = date.fromisoformat(details["maturity_on"])
    disbursed = connection.execute(select(_loan.c.disbursed_on)
                                   .where(_loan.c.id == loan_id)).scalar_one()
    term = _months_between(disbursed, maturity)
    connection.execute(update(_loan).where(_loan.c.id == loan_id)
                       .values(maturity_on=maturity, term_months=term))
    return {"modification_id": record_id(disposal_id), "modification_kind": kind.value,
            "pause_until": None if pause_until is None else pause_until.isoformat(),
            "installments_replaced": len(details["replaces"]),
            "installments_written": len(rows), "maturity_on": maturity.isoformat(),
            "term_months": term}
