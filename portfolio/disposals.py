"""Disposal records (处置): restructurings, write-offs, recoveries after write-off and
collateral disposals, each proposed by one person and approved or rejected by another.

* :class:`Disposal` is one proposal and what became of it: the kind, the loan, the terms
  asked for (``terms``, JSON), what approval will do, computed when it was proposed
  (``plan``: the new schedule, the amounts), what approval did (``outcome``), and the
  state (``proposed`` until a second person decides: ``approved`` or ``rejected``). A loan
  has at most one proposal waiting (a partial unique index), and a collateral item at
  most one disposal that was not rejected.
* :class:`DisposalEvent` is one transition of a disposal (who, why, when, from what to
  what), numbered per disposal. Append-only in the database.

The rules that fill them are in :mod:`risk.disposals`.
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
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    text,
)
from sqlmodel import Field, SQLModel

from portfolio.alerts import ACTOR_LENGTH
from portfolio.loans import CURRENCY_LENGTH, EXTERNAL_ID_LENGTH
from portfolio.types import UtcDateTime

__all__ = ["KIND_LENGTH", "STATE_LENGTH", "Disposal", "DisposalEvent", "DisposalKind",
           "DisposalState"]

KIND_LENGTH: Final = 24
STATE_LENGTH: Final = 16


class DisposalKind(StrEnum):
    """What is proposed: three restructurings, a write-off, a recovery, a collateral sale."""

    TERM_EXTENSION = "term_extension"
    PAYMENT_HOLIDAY = "payment_holiday"
    REDUCED_INSTALLMENTS = "reduced_installments"
    WRITE_OFF = "write_off"
    RECOVERY = "recovery"
    COLLATERAL_DISPOSAL = "collateral_disposal"


class DisposalState(StrEnum):
    PROPOSED = "proposed"
    APPROVED = "approved"
    REJECTED = "rejected"


class Disposal(SQLModel, table=True):
    """One proposal of ``kind`` for ``loan_id``, effective on ``effective_on`` (see the
    module). ``amount_minor`` is the write-off, recovery or net sale amount in minor units
    of ``currency`` (the loan's); ``None`` for a restructuring."""

    __tablename__ = "disposal"
    __table_args__ = (
        Index("ix_disposal_state", "state", "id"),
        Index("ix_disposal_loan_id", "loan_id", "id"),
        Index("uq_disposal_waiting_loan", "loan_id", unique=True,
              sqlite_where=text("state = 'proposed'"),
              postgresql_where=text("state = 'proposed'")),
        Index("uq_disposal_collateral", "collateral_id", unique=True,
              sqlite_where=text("collateral_id IS NOT NULL AND state != 'rejected'"),
              postgresql_where=text("collateral_id IS NOT NULL AND state != 'rejected'")),
    )

    id: int | None = Field(default=None, primary_key=True, sa_type=Integer)
    loan_id: str = Field(sa_type=String(EXTERNAL_ID_LENGTH))
    kind: str = Field(sa_type=String(KIND_LENGTH))
    state: str = Field(sa_type=String(STATE_LENGTH))
    effective_on: date = Field(sa_type=Date)
    currency: str = Field(sa_type=String(CURRENCY_LENGTH))
    amount_minor: int | None = Field(default=None, sa_type=BigInteger)
    collateral_id: str | None = Field(default=None, sa_type=String(EXTERNAL_ID_LENGTH))
    terms: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    plan: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    outcome: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    reason: str = Field(sa_type=Text)
    proposed_by: str = Field(sa_type=String(ACTOR_LENGTH))
    proposed_at: datetime = Field(sa_type=UtcDateTime)
    decided_by: str | None = Field(default=None, sa_type=String(ACTOR_LENGTH))
    decided_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    decision_reason: str | None = Field(default=None, sa_type=Text)


class DisposalEvent(SQLModel, table=True):
    """Transition ``seq`` (1, 2, ...) of disposal ``disposal_id``: ``event`` took it from
    ``from_state`` to ``to_state``; ``actor`` is the user's login, ``reason`` why."""

    __tablename__ = "disposal_event"

    disposal_id: int = Field(sa_column=Column(Integer, ForeignKey("disposal.id"),
                                              primary_key=True, autoincrement=False))
    seq: int = Field(primary_key=True, sa_type=Integer,
                     sa_column_kwargs={"autoincrement": False})
    event: str = Field(sa_type=String(STATE_LENGTH))
    from_state: str | None = Field(default=None, sa_type=String(STATE_LENGTH))
    to_state: str = Field(sa_type=String(STATE_LENGTH))
    actor: str = Field(sa_type=String(ACTOR_LENGTH))
    reason: str = Field(sa_type=Text)
    recorded_at: datetime = Field(sa_type=UtcDateTime)
