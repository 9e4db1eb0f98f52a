"""Repayments received, keyed by the source system's external id."""

from __future__ import annotations

from datetime import date
from typing import Final

from sqlalchemy import BigInteger, Date, Index, String
from sqlmodel import Field, SQLModel

from portfolio.loans import CURRENCY_LENGTH, EXTERNAL_ID_LENGTH

__all__ = ["CHANNEL_LENGTH", "Repayment"]

CHANNEL_LENGTH: Final = 32


class Repayment(SQLModel, table=True):
    """A payment of ``amount_minor`` minor units of ``currency`` (the loan's when it was
    imported) towards ``loan_id`` on ``paid_on``."""

    __tablename__ = "repayment"
    __table_args__ = (Index("ix_repayment_loan_id_paid_on", "loan_id", "paid_on"),)

    id: str = Field(primary_key=True, sa_type=String(EXTERNAL_ID_LENGTH))
    loan_id: str = Field(foreign_key="loan.id", ondelete="CASCADE",
                         sa_type=String(EXTERNAL_ID_LENGTH))
    paid_on: date = Field(sa_type=Date)
    amount_minor: int = Field(sa_type=BigInteger)
    currency: str = Field(sa_type=String(CURRENCY_LENGTH))
    channel: str | None = Field(default=None, sa_type=String(CHANNEL_LENGTH))
