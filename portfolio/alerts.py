"""Early-warning alerts and their append-only history.

An :class:`Alert` is raised by a rule about one subject (a loan, a party, or a portfolio
segment such as a sector) and carries the signals that raised it, with their figures, and the
evidence path (node ids and typed edges, ready to draw). ``dedupe_key`` is
``rule_id:subject_kind:subject_id``: at most one alert per key is not resolved at any time
(a partial unique index holds it on both SQLite and PostgreSQL). Every change is an
:class:`AlertEvent`; events are only ever inserted. The lifecycle is in
:mod:`risk.alerts.lifecycle`.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any, Final

from sqlalchemy import JSON, Column, Date, ForeignKey, Index, Integer, String, Text, text
from sqlmodel import Field, SQLModel

from portfolio.loans import EXTERNAL_ID_LENGTH
from portfolio.types import UtcDateTime

__all__ = [
    "ACTOR_LENGTH",
    "RULE_ID_LENGTH",
    "Alert",
    "AlertAction",
    "AlertEvent",
    "AlertStatus",
    "SubjectKind",
]

RULE_ID_LENGTH: Final = 64
ACTOR_LENGTH: Final = 255
_DEDUPE_KEY_LENGTH: Final = 256


class AlertStatus(StrEnum):
    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    ASSIGNED = "assigned"
    RESOLVED = "resolved"


class SubjectKind(StrEnum):
    LOAN = "loan"
    PARTY = "party"
    #: A slice of the portfolio (``sector:C13``) for concentration rules.
    SEGMENT = "segment"


class AlertAction(StrEnum):
    RAISED = "raised"
    UPDATED = "updated"
    ESCALATED = "escalated"
    ACKNOWLEDGED = "acknowledged"
    ASSIGNED = "assigned"
    RESOLVED = "resolved"


class Alert(SQLModel, table=True):
    """One early-warning alert. ``signals`` and ``evidence`` are JSON (see the module doc)."""

    __tablename__ = "alert"
    __table_args__ = (
        Index("ix_alert_status", "status"),
        Index("ix_alert_subject", "subject_kind", "subject_id"),
        Index("ix_alert_dedupe_key", "dedupe_key"),
        Index("uq_alert_dedupe_key_live", "dedupe_key", unique=True,
              sqlite_where=text("status <> 'resolved'"),
              postgresql_where=text("status <> 'resolved'")),
    )

    id: int | None = Field(default=None, primary_key=True, sa_type=Integer)
    rule_id: str = Field(sa_type=String(RULE_ID_LENGTH))
    severity: str = Field(sa_type=String(16))
    subject_kind: str = Field(sa_type=String(16))
    subject_id: str = Field(sa_type=String(EXTERNAL_ID_LENGTH))
    status: str = Field(default=AlertStatus.OPEN.value, sa_type=String(16))
    assignee: str | None = Field(default=None, sa_type=String(ACTOR_LENGTH))
    raised_at: datetime = Field(sa_type=UtcDateTime)
    updated_at: datetime = Field(sa_type=UtcDateTime)
    resolved_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    as_of: date = Field(sa_type=Date)
    signals: list[dict[str, Any]] = Field(sa_column=Column(JSON, nullable=False))
    evidence: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    dedupe_key: str = Field(sa_type=String(_DEDUPE_KEY_LENGTH))


class AlertEvent(SQLModel, table=True):
    """One change of an alert: who (``actor``), when (``at``), what, from and to which status."""

    __tablename__ = "alert_event"
    __table_args__ = (Index("ix_alert_event_alert_id", "alert_id", "id"),)

    id: int | None = Field(default=None, primary_key=True, sa_type=Integer)
    alert_id: int = Field(sa_column=Column(Integer, ForeignKey("alert.id"), nullable=False))
    at: datetime = Field(sa_type=UtcDateTime)
    actor: str = Field(sa_type=String(ACTOR_LENGTH))
    action: str = Field(sa_type=String(16))
    from_status: str | None = Field(default=None, sa_type=String(16))
    to_status: str = Field(sa_type=String(16))
    note: str | None = Field(default=None, sa_type=Text)
