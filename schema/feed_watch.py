"""What the subscriptions share: hearing a feed's changes only while the caller's access
token lives (a stream outlives no token; the client opens a new one with a new token)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import TypeVar

__all__ = ["until_expiry"]

Change = TypeVar("Change")


async def until_expiry(changes: AsyncIterator[Change], expires_at: datetime | None
                       ) -> AsyncIterator[Change]:
    """``changes`` as they come, until ``expires_at`` (``None``: for as long as they come)."""
    while True:
        if expires_at is None:
            yield await anext(changes)
            continue
        left = (expires_at - datetime.now(UTC)).total_seconds()
        if left <= 0:
            return
        try:
            change = await asyncio.wait_for(anext(changes), left)
        except TimeoutError:
            return
        yield change
