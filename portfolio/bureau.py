"""Credit-bureau snapshots: a party's bureau report as of a date."""

from __future__ import annotations

from datetime import date
from typing import Final

from sqlalchemy import BigInteger, Date, Index, Integer, String
from sqlmodel import Field, SQLModel

from portfolio.loans import CURRENCY_LENGTH, EXTERNAL_ID_LENGTH

__all__ = ["MAX_BUREAU_SCORE", "MIN_BUREAU_SCORE", "BureauSnapshot"]

MIN_BUREAU_SCORE: Final = 300
MAX_BUREAU_SCORE: Final = 900


class BureauSnapshot(SQLModel, table=True):
    """One bureau report for ``party_id`` (a person or company node in the graph).

    ``score`` lies in ``MIN_BUREAU_SCORE..MAX_BUREAU_SCORE``; the counts may be unknown.
    ``total_debt_minor`` is in minor units of ``currency`` (both absent together), and so is
    ``overdue_90_minor``, the part of the debt at all lenders more than 90 days overdue (the
    figure of the classification's 20% rule; ``currency`` is set when either is).
    """

    __tablename__ = "bureau_snapshot"
    __table_args__ = (Index("ix_bureau_snapshot_party_id_as_of", "party_id", "as_of"),)

    id: str = Field(primary_key=True, sa_type=String(EXTERNAL_ID_LENGTH))
    party_id: str = Field(sa_type=String(EXTERNAL_ID_LENGTH))
    as_of: date = Field(sa_type=Date)
    score: int = Field(sa_type=Integer)
    open_loans: int | None = Field(default=None, sa_type=Integer)
    total_debt_minor: int | None = Field(default=None, sa_type=BigInteger)
    currency: str | None = Field(default=None, sa_type=String(CURRENCY_LENGTH))
    overdue_90_minor: int | None = Field(default=None, sa_type=BigInteger)
    overdue_accounts: int | None = Field(default=None, sa_type=Integer)
    inquiries_6m: int | None = Field(default=None, sa_type=Integer)
