"""Promises to pay made by borrowers in collections.

A :class:`PromiseToPay` is ``amount_minor`` of ``currency`` promised on ``made_on`` to be
paid on the loan of case ``case_id`` by ``promised_for``, through ``channel`` (how the
promise was made), recorded by ``recorded_by``. Unique per ``(case_id, promised_for)``: one
promise per case and date. ``status`` is ``pending`` until the follow-up reads the
repayments made from ``made_on`` to ``promised_for`` (partial payments add up): ``kept``
when they reach the amount, ``broken`` the day after the date when they do not
(``paid_minor`` says how much came). The rules are in :mod:`risk.collections.promises`.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Final

from sqlalchemy import (
    BigInteger,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlmodel import Field, SQLModel

from portfolio.alerts import ACTOR_LENGTH
from portfolio.collections import CASE_ID_LENGTH
from portfolio.loans import CURRENCY_LENGTH, EXTERNAL_ID_LENGTH
from portfolio.types import UtcDateTime

__all__ = ["PROMISE_CHANNEL_LENGTH", "PromiseToPay"]

PROMISE_CHANNEL_LENGTH: Final = 16


class PromiseToPay(SQLModel, table=True):
    """One promise to pay (see the module)."""

    __tablename__ = "promise_to_pay"
    __table_args__ = (
        UniqueConstraint("case_id", "promised_for", name="uq_promise_to_pay_case_date"),
        Index("ix_promise_to_pay_status_date", "status", "promised_for"),
    )

    id: int | None = Field(default=None, primary_key=True, sa_type=Integer)
    case_id: str = Field(sa_column=Column(String(CASE_ID_LENGTH),
                                          ForeignKey("collection_case.id"), nullable=False))
    loan_id: str = Field(sa_type=String(EXTERNAL_ID_LENGTH))
    borrower_id: str = Field(sa_type=String(EXTERNAL_ID_LENGTH))
    amount_minor: int = Field(sa_type=BigInteger)
    currency: str = Field(sa_type=String(CURRENCY_LENGTH))
    made_on: date = Field(sa_type=Date)
    promised_for: date = Field(sa_type=Date)
    channel: str = Field(sa_type=String(PROMISE_CHANNEL_LENGTH))
    recorded_by: str = Field(sa_type=String(ACTOR_LENGTH))
    recorded_at: datetime = Field(sa_type=UtcDateTime)
    note: str | None = Field(default=None, sa_type=Text)
    status: str = Field(sa_type=String(16))
    paid_minor: int | None = Field(default=None, sa_type=BigInteger)
    resolved_on: date | None = Field(default=None, sa_type=Date)
