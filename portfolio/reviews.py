"""The records of loan reviews (定期复审 and triggered reviews) and each loan's next review.

A :class:`ReviewRecord` is one review of one loan as of a date: what the risk core read
(``inputs``), what it found (``outputs``: tier, stage, PD, ECL, exposure, signals), which
models and scan it used (``models``), whether it went to a human (``route``) and what was
decided, and the next review date. Its natural key is ``(loan_id, as_of, kind)`` with a
unique constraint: a review run twice (a message delivered twice, a rerun after a crash)
finds the row and writes nothing. The reviewer's decision is written onto the same row,
once (``status`` moves from ``pending`` to ``confirmed`` or ``overridden``).

A :class:`ReviewSchedule` row is a loan's next review date: the scheduler asks the database
what is due (``next_review <= today``, or no row yet), never the queue. ``next_review`` is
``NULL`` for a loan with nothing left to review (repaid in full).
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any, Final

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    Date,
    Float,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlmodel import Field, SQLModel

from portfolio.alerts import ACTOR_LENGTH
from portfolio.loans import CURRENCY_LENGTH, EXTERNAL_ID_LENGTH
from portfolio.types import UtcDateTime

__all__ = ["REVIEW_KEY", "ReviewKind", "ReviewRecord", "ReviewSchedule", "ReviewStatus"]

#: The name of the unique constraint that makes a review happen once.
REVIEW_KEY: Final = "uq_review_loan_as_of_kind"


class ReviewKind(StrEnum):
    """Why the review ran: its date came (``periodic``) or an alert or event asked."""

    PERIODIC = "periodic"
    TRIGGERED = "triggered"


class ReviewStatus(StrEnum):
    """``closed``: nothing for a human; ``pending``: in the review queue; then decided."""

    CLOSED = "closed"
    PENDING = "pending"
    CONFIRMED = "confirmed"
    OVERRIDDEN = "overridden"


class ReviewRecord(SQLModel, table=True):
    """One review of one loan as of ``as_of`` (see the module)."""

    __tablename__ = "review"
    __table_args__ = (
        UniqueConstraint("loan_id", "as_of", "kind", name=REVIEW_KEY),
        Index("ix_review_status", "status", "id"),
        Index("ix_review_borrower_id", "borrower_id"),
    )

    id: int | None = Field(default=None, primary_key=True, sa_type=Integer)
    loan_id: str = Field(sa_type=String(EXTERNAL_ID_LENGTH))
    as_of: date = Field(sa_type=Date)
    kind: str = Field(sa_type=String(16))
    trigger: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    borrower_id: str = Field(sa_type=String(EXTERNAL_ID_LENGTH))
    status: str = Field(sa_type=String(16))
    #: The tier, stage, PD and ECL the risk core computed (``None`` for a repaid loan).
    tier: str | None = Field(default=None, sa_type=String(32))
    stage: int | None = Field(default=None, sa_type=Integer)
    pd: float | None = Field(default=None, sa_type=Float)
    currency: str = Field(sa_type=String(CURRENCY_LENGTH))
    exposure_minor: int = Field(sa_type=BigInteger)
    ecl_minor: int = Field(sa_type=BigInteger)
    #: Why it went to a human (empty: it did not): ``[{"rule", "text", ...}]``.
    route: list[dict[str, Any]] = Field(sa_column=Column(JSON, nullable=False))
    inputs: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    outputs: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    models: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    next_review: date | None = Field(default=None, sa_type=Date)
    proposed_by: str = Field(sa_type=String(ACTOR_LENGTH))
    created_at: datetime = Field(sa_type=UtcDateTime)
    #: The reviewer's decision: the tier decided, who, when, why.
    decided_tier: str | None = Field(default=None, sa_type=String(32))
    decided_by: str | None = Field(default=None, sa_type=String(ACTOR_LENGTH))
    decided_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    decision_reason: str | None = Field(default=None, sa_type=Text)


class ReviewSchedule(SQLModel, table=True):
    """A loan's next review date, and the review that set it."""

    __tablename__ = "review_schedule"
    __table_args__ = (Index("ix_review_schedule_next_review", "next_review", "loan_id"),)

    loan_id: str = Field(primary_key=True, sa_type=String(EXTERNAL_ID_LENGTH))
    next_review: date | None = Field(default=None, sa_type=Date)
    tier: str | None = Field(default=None, sa_type=String(32))
    #: The date of the review that set it: an older review never moves it back.
    last_reviewed_on: date | None = Field(default=None, sa_type=Date)
    last_review_id: int | None = Field(default=None, sa_type=Integer)
    updated_at: datetime = Field(sa_type=UtcDateTime)
