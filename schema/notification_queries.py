"""The reads of the notification outbox: ``notifications`` (a root ``Query`` area, merged
into it in :mod:`schema.query`)."""

from __future__ import annotations

import asyncio
from typing import Final

import strawberry

from notifications.outbox import list_notifications
from schema.arguments import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE
from schema.context import Info
from schema.pagination import window
from schema.types.notifications import (
    NotificationChannel,
    NotificationConnection,
    NotificationStatus,
)

__all__ = ["NotificationQueries"]

#: How deep a client may page through the outbox.
MAX_NOTIFICATION_REACH: Final = 10_000


@strawberry.type
class NotificationQueries:
    @strawberry.field(
        description=f"The notification outbox, newest first: only those of `status`, "
        f"`channel` and `party` when given. `first` is at most {MAX_PAGE_SIZE}.")
    async def notifications(
        self, info: Info,
        status: NotificationStatus | None = None,  # type: ignore[valid-type]
        channel: NotificationChannel | None = None,  # type: ignore[valid-type]
        party: strawberry.ID | None = None,
        first: int = DEFAULT_PAGE_SIZE, after: str | None = None,
    ) -> NotificationConnection:
        page = window(first, after, max_size=MAX_PAGE_SIZE, max_reach=MAX_NOTIFICATION_REACH)
        records = info.context.records
        rows = [] if records is None else await asyncio.to_thread(
            list_notifications, records,
            status=None if status is None else status.value,
            channel=None if channel is None else channel.value,
            party_id=None if party is None else str(party),
            limit=page.size + 1, offset=page.offset)
        return NotificationConnection.from_page(rows, page)
