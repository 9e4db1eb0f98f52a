"""The tables of the job machinery: units of work, periodic schedules, dead letters.

Scheduling state lives here, not in the queue: a :class:`JobUnit` is one unit of work with
its idempotency key (its primary key), its due time and its state (``pending`` → ``enqueued``
→ ``done``, or ``failed`` once dead-lettered); a :class:`JobSchedule` is a periodic schedule
with its next due time. After any crash or restart the scheduler reads both and enqueues
what is due again (:mod:`jobs.scheduler`). A :class:`DeadLetter` is a message that failed
for good, kept with its error until someone retries or discards it (:mod:`jobs.dead_letters`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Final

from sqlalchemy import JSON, Boolean, Index, Integer, String, Text, UniqueConstraint
from sqlmodel import Column, Field, SQLModel

from portfolio.types import UtcDateTime

__all__ = ["DEAD_LETTER_STATES", "UNIT_STATES", "DeadLetter", "JobSchedule", "JobUnit"]

#: The states of a unit of work, in the order it moves through them.
UNIT_STATES: Final = ("pending", "enqueued", "done", "failed")
#: ``dead`` until someone acts: ``retried`` (enqueued again) or ``discarded``.
DEAD_LETTER_STATES: Final = ("dead", "retried", "discarded")


class JobUnit(SQLModel, table=True):
    """One unit of work: enqueued with its key, marked done in the transaction of its
    effect, so a message delivered twice has its effect once."""

    __tablename__ = "job_unit"
    __table_args__ = (Index("ix_job_unit_state_due", "state", "due_at"),)

    key: str = Field(primary_key=True, sa_type=String(255))
    actor_name: str = Field(sa_type=String(128))
    queue_name: str = Field(sa_type=String(128))
    args: list[Any] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    due_at: datetime = Field(sa_type=UtcDateTime)
    state: str = Field(default="pending", sa_type=String(16))
    attempts: int = Field(default=0, sa_type=Integer)
    last_error: str | None = Field(default=None, sa_type=Text)
    created_at: datetime = Field(sa_type=UtcDateTime)
    updated_at: datetime = Field(sa_type=UtcDateTime)
    enqueued_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    finished_at: datetime | None = Field(default=None, sa_type=UtcDateTime)


class JobSchedule(SQLModel, table=True):
    """A periodic schedule: every ``interval_s`` seconds from ``next_due_at`` on, one unit
    of work keyed ``NAME@DUE`` (a tick missed during an outage runs once, not once per
    missed tick)."""

    __tablename__ = "job_schedule"

    name: str = Field(primary_key=True, sa_type=String(128))
    actor_name: str = Field(sa_type=String(128))
    queue_name: str = Field(sa_type=String(128))
    args: list[Any] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    interval_s: int = Field(sa_type=Integer)
    next_due_at: datetime = Field(sa_type=UtcDateTime)
    last_due_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    enabled: bool = Field(default=True, sa_type=Boolean)


class DeadLetter(SQLModel, table=True):
    """A message that failed for good: what it asked, why it failed, what was done."""

    __tablename__ = "job_dead_letter"
    __table_args__ = (
        UniqueConstraint("message_id", name="uq_job_dead_letter_message_id"),
        Index("ix_job_dead_letter_state", "state", "id"),
        Index("ix_job_dead_letter_idempotency_key", "idempotency_key"),
    )

    id: int | None = Field(default=None, primary_key=True, sa_type=Integer)
    message_id: str = Field(sa_type=String(64))
    queue_name: str = Field(sa_type=String(128))
    actor_name: str = Field(sa_type=String(128))
    args: list[Any] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    kwargs: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    idempotency_key: str | None = Field(default=None, sa_type=String(255))
    error_class: str = Field(sa_type=String(255))
    error_message: str = Field(sa_type=Text)
    attempts: int = Field(default=0, sa_type=Integer)
    enqueued_at: datetime = Field(sa_type=UtcDateTime)
    failed_at: datetime = Field(sa_type=UtcDateTime)
    state: str = Field(default="dead", sa_type=String(16))
    resolved_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    resolved_by: str | None = Field(default=None, sa_type=String(255))
