"""The notification outbox: one row per message to a party, written in the transaction of
the work that asks for it, delivered later by a job (:mod:`notifications.delivery`).

A row names its recipient by party id only; the address (an e-mail address, a phone
number) is looked up in the graph's personal data when the message is sent, and the one it
went to is kept sealed (:data:`SENT_TO_FIELD`, like contact notes' text). ``key`` is the
idempotency key of the message: a second request with the same key queues nothing, and a
row is claimed (``sending``) before it is sent, so two workers never send it twice.

States: ``pending`` (waiting for ``next_attempt_at``), ``sending`` (claimed by a worker),
``sent``, ``failed`` (an attempt failed; retried at ``next_attempt_at``), ``dead`` (given
up: too many attempts, a permanent error, or a worker that stopped while sending; only
``loanwatch notifications retry`` sends it again).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any, Final

from sqlalchemy import JSON, Index, Integer, String, Text, UniqueConstraint
from sqlmodel import Column, Field, SQLModel

from portfolio.loans import EXTERNAL_ID_LENGTH
from portfolio.types import UtcDateTime

__all__ = [
    "KEY_LENGTH",
    "SENT_TO_FIELD",
    "TEMPLATE_LENGTH",
    "Notification",
    "NotificationChannel",
    "NotificationStatus",
]

#: Longest idempotency key, in characters.
KEY_LENGTH: Final = 255
#: Longest template name, in characters.
TEMPLATE_LENGTH: Final = 64
#: The sealed field's name (the associated data of its ciphertext).
SENT_TO_FIELD: Final = "notification.sent_to"


class NotificationChannel(StrEnum):
    """How a message travels: e-mail over SMTP, SMS and chat through an HTTP gateway, or a
    JSON line in a file (the demo)."""

    EMAIL = "email"
    SMS = "sms"
    CHAT = "chat"
    FILE = "file"


class NotificationStatus(StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    DEAD = "dead"


class Notification(SQLModel, table=True):
    """One message to ``party_id`` over ``channel``, rendered from ``template`` and
    ``context`` when it is sent."""

    __tablename__ = "notification"
    __table_args__ = (
        UniqueConstraint("key", name="uq_notification_key"),
        Index("ix_notification_due", "status", "next_attempt_at"),
        Index("ix_notification_party_id", "party_id", "id"),
    )

    id: int | None = Field(default=None, primary_key=True, sa_type=Integer)
    key: str = Field(sa_type=String(KEY_LENGTH))
    channel: str = Field(sa_type=String(16))
    party_id: str = Field(sa_type=String(EXTERNAL_ID_LENGTH))
    template: str = Field(sa_type=String(TEMPLATE_LENGTH))
    #: JSON scalars only, no personal data (the party's name is read at send time).
    context: dict[str, Any] = Field(default_factory=dict,
                                    sa_column=Column(JSON, nullable=False))
    not_before: datetime = Field(sa_type=UtcDateTime)
    status: str = Field(default=NotificationStatus.PENDING.value, sa_type=String(16))
    attempts: int = Field(default=0, sa_type=Integer)
    next_attempt_at: datetime = Field(sa_type=UtcDateTime)
    last_error: str | None = Field(default=None, sa_type=Text)
    provider_message_id: str | None = Field(default=None, sa_type=String(255))
    #: Sealed (``lw1$...``): the address the message went to.
    sent_to: str | None = Field(default=None, sa_type=Text)
    #: The worker's claim: a random token, so only the claimer marks the outcome.
    claim_token: str | None = Field(default=None, sa_type=String(32))
    claimed_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    created_at: datetime = Field(sa_type=UtcDateTime)
    updated_at: datetime = Field(sa_type=UtcDateTime)
    sent_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
