"""Collections strategy records: which strategy works each case, the actions it plans and
executes, and the contact preferences of borrowers.

* :class:`StrategyAssignment` is the strategy a case was given, once, when the daily step
  first saw it: the strategy, the arm (``champion`` or ``challenger``), the split value
  that chose it (a deterministic hash of the case id) and the segment it was chosen by.
  Kept for the case's life, so outcomes are measured per strategy and arm.
* :class:`CollectionAction` is one step of a strategy for one case, keyed by
  ``(case_id, step)`` (unique: a step is planned once however often the step runs), with
  its status: ``planned`` until its day and its contact rules allow it, then
  ``dispatched`` (a message handed to the dispatcher) or ``open`` (a task for collectors,
  later ``done``), or ``cancelled`` (the case ended, no channel left).
* :class:`ContactPreference` is a borrower's preferred channel, the channels they refused
  and their time zone (no address: those are personal data in the graph).

The rules that fill them are in :mod:`risk.collections.strategies`.
"""

from __future__ import annotations

from datetime import date, datetime
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
    UniqueConstraint,
)
from sqlmodel import Field, SQLModel

from portfolio.alerts import ACTOR_LENGTH
from portfolio.collections import CASE_ID_LENGTH
from portfolio.loans import CURRENCY_LENGTH, EXTERNAL_ID_LENGTH
from portfolio.types import UtcDateTime

__all__ = [
    "CHANNEL_NAME_LENGTH",
    "STRATEGY_NAME_LENGTH",
    "TIMEZONE_LENGTH",
    "CollectionAction",
    "ContactPreference",
    "StrategyAssignment",
]

STRATEGY_NAME_LENGTH: Final = 64
CHANNEL_NAME_LENGTH: Final = 16
TIMEZONE_LENGTH: Final = 64
_STEP_LENGTH: Final = 32
_SEGMENT_LENGTH: Final = 128


class StrategyAssignment(SQLModel, table=True):
    """Case ``case_id`` is worked by ``strategy`` (arm ``arm``) since ``assigned_on``."""

    __tablename__ = "strategy_assignment"
    __table_args__ = (Index("ix_strategy_assignment_strategy", "strategy", "arm"),)

    case_id: str = Field(sa_column=Column(String(CASE_ID_LENGTH),
                                          ForeignKey("collection_case.id"), primary_key=True))
    strategy: str = Field(sa_type=String(STRATEGY_NAME_LENGTH))
    arm: str = Field(sa_type=String(16))
    #: The case's place in [0, 10000) that the shares of the challengers split.
    split: int = Field(sa_type=Integer)
    segment: str = Field(sa_type=String(_SEGMENT_LENGTH))
    assigned_on: date = Field(sa_type=Date)
    escalations: int = Field(default=0, sa_type=Integer)
    assigned_at: datetime = Field(sa_type=UtcDateTime)


class CollectionAction(SQLModel, table=True):
    """Step ``step`` of the strategy of ``case_id``: ``kind`` due on ``planned_on``."""

    __tablename__ = "collection_action"
    __table_args__ = (
        UniqueConstraint("case_id", "step", name="uq_collection_action_case_step"),
        Index("ix_collection_action_status_planned_on", "status", "planned_on"),
        Index("ix_collection_action_party_channel", "party_id", "channel", "executed_on"),
    )

    id: int | None = Field(default=None, primary_key=True, sa_type=Integer)
    case_id: str = Field(sa_column=Column(String(CASE_ID_LENGTH),
                                          ForeignKey("collection_case.id"), nullable=False))
    step: str = Field(sa_type=String(_STEP_LENGTH))
    strategy: str = Field(sa_type=String(STRATEGY_NAME_LENGTH))
    kind: str = Field(sa_type=String(16))
    party_id: str = Field(sa_type=String(EXTERNAL_ID_LENGTH))
    planned_on: date = Field(sa_type=Date)
    status: str = Field(sa_type=String(16))
    channel: str | None = Field(default=None, sa_type=String(CHANNEL_NAME_LENGTH))
    not_before: datetime | None = Field(default=None, sa_type=UtcDateTime)
    executed_on: date | None = Field(default=None, sa_type=Date)
    cost_minor: int | None = Field(default=None, sa_type=BigInteger)
    cost_currency: str | None = Field(default=None, sa_type=String(CURRENCY_LENGTH))
    #: Why it waits or was cancelled; a collector's outcome once done.
    note: str | None = Field(default=None, sa_type=Text)
    done_by: str | None = Field(default=None, sa_type=String(ACTOR_LENGTH))
    context: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    updated_at: datetime = Field(sa_type=UtcDateTime)


class ContactPreference(SQLModel, table=True):
    """How borrower ``party_id`` wants to be reached: ``preferred_channel``, never by the
    channels in ``refused`` (a JSON list), in their ``timezone`` (IANA; ``None``: the
    strategies' default)."""

    __tablename__ = "contact_preference"

    party_id: str = Field(primary_key=True, sa_type=String(EXTERNAL_ID_LENGTH))
    preferred_channel: str | None = Field(default=None, sa_type=String(CHANNEL_NAME_LENGTH))
    refused: list[str] = Field(sa_column=Column(JSON, nullable=False))
    timezone: str | None = Field(default=None, sa_type=String(TIMEZONE_LENGTH))
    updated_by: str = Field(sa_type=String(ACTOR_LENGTH))
    updated_at: datetime = Field(sa_type=UtcDateTime)
