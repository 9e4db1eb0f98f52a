"""Loan modifications: restructurings, term extensions and agreed payment pauses.

A modification is a change of a loan's terms agreed on ``effective_on``. ``financial_difficulty``
records whether it was a concession to a debtor in financial difficulty, which makes the
loan a restructured asset under China's 2023 classification measures and a forborne
exposure under IFRS 9. A payment pause names its last day, ``pause_until``: installments
falling due within ``effective_on..pause_until`` are not overdue until the day after it.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Final

from sqlalchemy import Boolean, Date, Index, String
from sqlmodel import Field, SQLModel

from portfolio.loans import EXTERNAL_ID_LENGTH

__all__ = ["KIND_LENGTH", "REASON_LENGTH", "Modification", "ModificationKind"]

KIND_LENGTH: Final = 24
REASON_LENGTH: Final = 255


class ModificationKind(StrEnum):
    RESTRUCTURING = "restructuring"
    TERM_EXTENSION = "term_extension"
    PAYMENT_PAUSE = "payment_pause"


class Modification(SQLModel, table=True):
    """A change of ``loan_id``'s terms of ``kind`` agreed on ``effective_on``."""

    __tablename__ = "loan_modification"
    __table_args__ = (Index("ix_loan_modification_loan_id_effective_on", "loan_id",
                            "effective_on"),)

    id: str = Field(primary_key=True, sa_type=String(EXTERNAL_ID_LENGTH))
    loan_id: str = Field(foreign_key="loan.id", ondelete="CASCADE",
                         sa_type=String(EXTERNAL_ID_LENGTH))
    kind: str = Field(sa_type=String(KIND_LENGTH))
    effective_on: date = Field(sa_type=Date)
    pause_until: date | None = Field(default=None, sa_type=Date)
    reason: str | None = Field(default=None, sa_type=String(REASON_LENGTH))
    financial_difficulty: bool = Field(default=False, sa_type=Boolean)
