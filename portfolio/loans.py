"""Loan records: one row per loan, keyed by the source system's external id.

The same id is the ``Loan`` node's id in the graph; the borrower is a party node, so
``borrower_id`` has no foreign key here (parties live in the graph only).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Final

from sqlalchemy import BigInteger, Date, Float, Index, Integer, Numeric, String
from sqlmodel import Field, SQLModel

__all__ = [
    "CURRENCY_LENGTH",
    "EXTERNAL_ID_LENGTH",
    "PRODUCT_LENGTH",
    "Loan",
    "LoanStatus",
    "RepaymentMethod",
]

#: Longest external id accepted anywhere (the graph model's limit too).
EXTERNAL_ID_LENGTH: Final = 128
PRODUCT_LENGTH: Final = 64
CURRENCY_LENGTH: Final = 3


class RepaymentMethod(StrEnum):
    ANNUITY = "annuity"
    EQUAL_PRINCIPAL = "equal_principal"
    INTEREST_ONLY = "interest_only"
    BULLET = "bullet"


class LoanStatus(StrEnum):
    ACTIVE = "active"
    CLOSED = "closed"
    WRITTEN_OFF = "written_off"


class Loan(SQLModel, table=True):
    """A loan as disbursed: ``principal_minor`` in minor units of ``currency`` (cents for
    CNY; see :mod:`portfolio.money`), the rate per year in 0..1.

    ``origination_pd`` is the annual probability of default the lender estimated when it
    granted the loan, in (0, 1), or ``None`` when unknown: the IFRS 9 significant-increase
    test compares the PD now with it (:mod:`risk.classification.ifrs9`)."""

    __tablename__ = "loan"
    __table_args__ = (Index("ix_loan_borrower_id", "borrower_id"),)

    id: str = Field(primary_key=True, sa_type=String(EXTERNAL_ID_LENGTH))
    borrower_id: str = Field(sa_type=String(EXTERNAL_ID_LENGTH))
    product: str = Field(sa_type=String(PRODUCT_LENGTH))
    principal_minor: int = Field(sa_type=BigInteger)
    currency: str = Field(sa_type=String(CURRENCY_LENGTH))
    annual_rate: Decimal = Field(sa_type=Numeric(9, 6))
    term_months: int = Field(sa_type=Integer)
    disbursed_on: date = Field(sa_type=Date)
    maturity_on: date = Field(sa_type=Date)
    repayment_method: str = Field(sa_type=String(16))
    status: str = Field(default=LoanStatus.ACTIVE.value, sa_type=String(16))
    origination_pd: float | None = Field(default=None, sa_type=Float)
