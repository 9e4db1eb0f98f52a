"""The notification outbox, read-only: what was queued for whom, over which channel, and
how its delivery stands (attempts, last error, the provider's id). The address a message
went to is never served (it stays sealed); the context holds no personal data."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import strawberry
from strawberry.relay import PageInfo
from strawberry.scalars import JSON

from notifications.outbox import QueuedNotification
from portfolio import notifications as records
from schema.pagination import Window, encode_cursor, page_info

__all__ = [
    "Notification",
    "NotificationChannel",
    "NotificationConnection",
    "NotificationStatus",
    "notification_from_record",
]


def _mirror(source: type[StrEnum], description: str) -> type[StrEnum]:
    return strawberry.enum(StrEnum(source.__name__, [(m.name, m.value) for m in source]),
                           description=description)


NotificationStatus = _mirror(
    records.NotificationStatus,
    "Where a notification stands: PENDING (waiting for its next attempt), SENDING, SENT, "
    "FAILED (an attempt failed; it is tried again) or DEAD (given up).")
NotificationChannel = _mirror(
    records.NotificationChannel,
    "How a notification travels: EMAIL (SMTP), SMS and CHAT (an HTTP gateway), FILE (the "
    "demo's JSON-lines file).")


@strawberry.type(description="A message to a party in the outbox, and its delivery.")
class Notification:
    number: int = strawberry.field(description="Its number (`loanwatch notifications retry` "
                                   "takes it).")
    key: str = strawberry.field(description="Its idempotency key: queued once per key.")
    channel: NotificationChannel = strawberry.field(  # type: ignore[valid-type]
        description="How it travels.")
    party_id: strawberry.ID = strawberry.field(description="The recipient party's id.")
    template: str = strawberry.field(description="The message's template.")
    context: JSON = strawberry.field(description="The values the template is filled with.")
    status: NotificationStatus = strawberry.field(  # type: ignore[valid-type]
        description="Where its delivery stands.")
    attempts: int = strawberry.field(description="Attempts so far.")
    not_before: datetime = strawberry.field(description="Not sent before this time.")
    next_attempt_at: datetime = strawberry.field(
        description="When it is tried next (while PENDING or FAILED).")
    last_error: str | None = strawberry.field(description="Why the last attempt failed.")
    provider_message_id: str | None = strawberry.field(
        description="The SMTP Message-ID or the gateway's id, once sent.")
    created_at: datetime = strawberry.field(description="When it was queued.")
    sent_at: datetime | None = strawberry.field(description="When it was sent.")


@strawberry.type(description="One notification of a page, with its cursor.")
class NotificationEdge:
    cursor: str = strawberry.field(description="Pass as `after` to read the ones after it.")
    node: Notification = strawberry.field(description="The notification.")


@strawberry.type(description="A page of notifications, newest first.")
class NotificationConnection:
    edges: list[NotificationEdge] = strawberry.field(description="The page's notifications.")
    page_info: PageInfo = strawberry.field(description="Where the page lies.")

    @classmethod
    def from_page(cls, rows: list[QueuedNotification], page: Window) -> NotificationConnection:
        """``rows`` fetched from ``page.offset``: the page and at most one more."""
        edges = [NotificationEdge(cursor=encode_cursor(page.offset + i),
                                  node=notification_from_record(row))
                 for i, row in enumerate(rows[:page.size])]
        return cls(edges=edges, page_info=page_info(
            [edge.cursor for edge in edges], page, more=len(rows) > page.size))


def notification_from_record(row: QueuedNotification) -> Notification:
    """The GraphQL view of a stored notification."""
    return Notification(
        number=row.id, key=row.key, channel=NotificationChannel(row.channel),
        party_id=strawberry.ID(row.party_id), template=row.template, context=row.context,
        status=NotificationStatus(row.status), attempts=row.attempts,
        not_before=row.not_before, next_attempt_at=row.next_attempt_at,
        last_error=row.last_error, provider_message_id=row.provider_message_id,
        created_at=row.created_at, sent_at=row.sent_at)
