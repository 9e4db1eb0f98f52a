"""Repayment schedules: one installment per (loan, sequence number)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import Date, Integer, Numeric, String
from sqlmodel import Field, SQLModel

from portfolio.loans import EXTERNAL_ID_LENGTH

__all__ = ["Installment"]


class Installment(SQLModel, table=True):
    """What is due on ``due_on``: the ``seq``-th installment (1, 2, ...) of ``loan_id``.

    The primary key ``(loan_id, seq)`` also serves "the schedule of a loan" queries.
    """

    __tablename__ = "installment"

    loan_id: str = Field(
        primary_key=True, foreign_key="loan.id", ondelete="CASCADE",
        sa_type=String(EXTERNAL_ID_LENGTH),
    )
    seq: int = Field(primary_key=True, sa_type=Integer, sa_column_kwargs={"autoincrement": False})
    due_on: date = Field(sa_type=Date)
    principal_due: Decimal = Field(sa_type=Numeric(18, 2))
    interest_due: Decimal = Field(sa_type=Numeric(18, 2))
