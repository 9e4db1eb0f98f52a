"""Repayment schedules: one installment per (loan, sequence number)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import BigInteger, Date, Integer, String
from sqlmodel import Field, SQLModel

from portfolio.loans import CURRENCY_LENGTH, EXTERNAL_ID_LENGTH

__all__ = ["Installment"]


class Installment(SQLModel, table=True):
    """What is due on ``due_on``: the ``seq``-th installment (1, 2, ...) of ``loan_id``.

    Amounts are minor units of ``currency``, the loan's currency when it was imported. The
    primary key ``(loan_id, seq)`` also serves "the schedule of a loan" queries.
    """

    __tablename__ = "installment"

    loan_id: str = Field(
        primary_key=True, foreign_key="loan.id", ondelete="CASCADE",
        sa_type=String(EXTERNAL_ID_LENGTH),
    )
    seq: int = Field(primary_key=True, sa_type=Integer, sa_column_kwargs={"autoincrement": False})
    due_on: date = Field(sa_type=Date)
    principal_due_minor: int = Field(sa_type=BigInteger)
    interest_due_minor: int = Field(sa_type=BigInteger)
    currency: str = Field(sa_type=String(CURRENCY_LENGTH))
