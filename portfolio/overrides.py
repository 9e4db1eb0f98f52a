"""Manual overrides of a loan's classification: the append-only audit trail.

An officer may overrule a loan's five-tier tier, its IFRS 9 stage or its expected credit
loss (a rebutted 90-day presumption, a known fraud, a collateral the tables do not see). Each
decision is one :class:`LoanOverride` row with its reason, its actor and the day it takes
effect (``valid_from``); rows are only ever inserted. A revocation is a row of its own
(``action`` ``revoke``, ``revokes_id`` naming the override it ends, from its ``valid_from``),
and a new override of a loan replaces the one in force from its own ``valid_from``; so the
table answers who overrode what, when and why, and what was in force on any day. The rules
are in :mod:`risk.classification.overrides`.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Final

from sqlalchemy import BigInteger, Column, Date, ForeignKey, Index, Integer, String, Text
from sqlmodel import Field, SQLModel

from portfolio.alerts import ACTOR_LENGTH
from portfolio.loans import CURRENCY_LENGTH, EXTERNAL_ID_LENGTH
from portfolio.types import UtcDateTime

__all__ = ["TIER_SLUG_LENGTH", "LoanOverride", "OverrideAction"]

#: Longest tier slug (``special_mention``).
TIER_SLUG_LENGTH: Final = 16


class OverrideAction(StrEnum):
    #: Overrules the tier, stage and/or ECL from ``valid_from`` (replacing any earlier one).
    SET = "set"
    #: Ends the override ``revokes_id`` from ``valid_from``.
    REVOKE = "revoke"


class LoanOverride(SQLModel, table=True):
    """One audited decision about one loan; ``None`` fields of a ``set`` leave the computed
    value. ``ecl_minor`` is in minor units of ``currency`` (the loan's)."""

    __tablename__ = "loan_override"
    __table_args__ = (Index("ix_loan_override_loan_id", "loan_id", "id"),
                      Index("ix_loan_override_revokes_id", "revokes_id"))

    id: int | None = Field(default=None, primary_key=True, sa_type=Integer)
    loan_id: str = Field(sa_column=Column(String(EXTERNAL_ID_LENGTH), ForeignKey("loan.id"),
                                          nullable=False))
    action: str = Field(sa_type=String(8))
    tier: str | None = Field(default=None, sa_type=String(TIER_SLUG_LENGTH))
    stage: int | None = Field(default=None, sa_type=Integer)
    ecl_minor: int | None = Field(default=None, sa_type=BigInteger)
    currency: str | None = Field(default=None, sa_type=String(CURRENCY_LENGTH))
    reason: str = Field(sa_type=Text)
    actor: str = Field(sa_type=String(ACTOR_LENGTH))
    valid_from: date = Field(sa_type=Date)
    revokes_id: int | None = Field(default=None, sa_column=Column(
        Integer, ForeignKey("loan_override.id"), nullable=True))
    created_at: datetime = Field(sa_type=UtcDateTime)
