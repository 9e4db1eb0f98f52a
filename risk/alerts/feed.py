"""The feed of alert changes: what subscribers (the API's ``alertChanges`` subscription)
hear when an alert is raised, updated, escalated, acknowledged, assigned or resolved.

Writers (the API's mutations, a scan) call :meth:`AlertFeed.publish` after their
transaction commits; a change is a small :class:`AlertChange` (which alert, what happened,
its status and severity now), and subscribers read the alert itself when they need more.

Two feeds share the interface:

* :class:`LocalAlertFeed` delivers within one process (one uvicorn worker, the tests);
* :class:`RedisAlertFeed` publishes through Redis pub/sub, so that a change written by one
  worker (or by a scan in another process) reaches the subscribers of every worker. Each
  process listens on the channel once and fans the changes out to its own subscribers.

Delivery is at most once and best effort, as pub/sub is: a subscriber that is not
listening at the moment of a change misses it (it reads the current alerts on
(re)connecting), and one that falls ``max_pending`` changes behind loses the oldest ones
(counted in :attr:`LocalAlertFeed.dropped`), so a slow client can never make the server
hold unbounded memory.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import threading
from collections.abc import AsyncIterator
from dataclasses import asdict, dataclass
from typing import Any, Final, Protocol

import redis
import redis.asyncio as aioredis

__all__ = [
    "ALERT_CHANNEL",
    "DEFAULT_MAX_PENDING",
    "AlertChange",
    "AlertFeed",
    "LocalAlertFeed",
    "RedisAlertFeed",
    "feed_for_broker",
]

#: The Redis pub/sub channel of alert changes.
ALERT_CHANNEL: Final = "loanwatch:alerts"
#: Changes one subscriber may have waiting before the oldest are dropped.
DEFAULT_MAX_PENDING: Final = 1_000

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class AlertChange:
    """One change of one alert. ``change`` is the action of its history entry
    (:class:`portfolio.alerts.AlertAction`: raised, updated, escalated, acknowledged,
    assigned, resolved); ``at`` is an ISO 8601 time."""

    alert_id: int
    change: str
    status: str
    severity: str
    subject_kind: str
    subject_id: str
    assignee: str | None
    at: str

    def to_json(self) -> str:
        return json.dumps(asdict(self), separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str | bytes) -> AlertChange:
        """Raises ``ValueError``, ``TypeError`` or ``KeyError`` on a malformed message."""
        data: dict[str, Any] = json.loads(text)
        return cls(alert_id=int(data["alert_id"]), change=str(data["change"]),
                   status=str(data["status"]), severity=str(data["severity"]),
                   subject_kind=str(data["subject_kind"]), subject_id=str(data["subject_id"]),
                   assignee=None if data.get("assignee") is None else str(data["assignee"]),
                   at=str(data["at"]))


class AlertFeed(Protocol):
    """Where alert changes are published and heard."""

    def publish(self, change: AlertChange) -> None:
        """Announce ``change`` (from any thread; never blocks on subscribers)."""

    def subscribe(self) -> contextlib.AbstractAsyncContextManager[AsyncIterator[AlertChange]]:
        """An async context that yields the changes published from now on."""

    async def aclose(self) -> None:
        """Stop listening and release connections."""


class _Subscriber:
    def __init__(self, loop: asyncio.AbstractEventLoop, max_pending: int) -> None:
        self.loop = loop
        self.queue: asyncio.Queue[AlertChange] = asyncio.Queue(max_pending)


class LocalAlertFeed:
    """A feed within one process: each subscriber has a bounded queue on its event loop.

    Args:
        max_pending: changes a subscriber may have waiting; past it the oldest is dropped.
    """

    def __init__(self, max_pending: int = DEFAULT_MAX_PENDING) -> None:
        if max_pending < 1:
            raise ValueError(f"max_pending must be at least 1, got {max_pending}")
        self._max_pending = max_pending
        self._subscribers: set[_Subscriber] = set()
        self._lock = threading.Lock()
        #: Changes dropped because a subscriber fell too far behind.
        self.dropped = 0

    def __repr__(self) -> str:
        return f"{type(self).__name__}(subscribers={len(self._subscribers)})"

    @property
    def subscriber_count(self) -> int:
        return len(self._subscribers)

    def publish(self, change: AlertChange) -> None:
        self._deliver(change)

    def _deliver(self, change: AlertChange) -> None:
        with self._lock:
            subscribers = list(self._subscribers)
        for subscriber in subscribers:
            try:
                subscriber.loop.call_soon_threadsafe(self._put, subscriber, change)
            except RuntimeError:  # its loop is closed: it is gone
                with self._lock:
                    self._subscribers.discard(subscriber)

    def _put(self, subscriber: _Subscriber, change: AlertChange) -> None:
        queue = subscriber.queue
        if queue.full():
            queue.get_nowait()
            self.dropped += 1
        queue.put_nowait(change)

    @contextlib.asynccontextmanager
    async def subscribe(self) -> AsyncIterator[AsyncIterator[AlertChange]]:
        subscriber = _Subscriber(asyncio.get_running_loop(), self._max_pending)
        with self._lock:
            self._subscribers.add(subscriber)
        await self._listening()
        try:
            yield _changes(subscriber.queue)
        finally:
            with self._lock:
                self._subscribers.discard(subscriber)

    async def _listening(self) -> None:
        """Return once changes published from now on reach subscribers."""

    async def aclose(self) -> None:
        with self._lock:
            self._subscribers.clear()


async def _changes(queue: asyncio.Queue[AlertChange]) -> AsyncIterator[AlertChange]:
    while True:
        yield await queue.get()


class RedisAlertFeed(LocalAlertFeed):
    """A feed across processes through Redis pub/sub on :data:`ALERT_CHANNEL`.

    ``publish`` sends to Redis (a short synchronous call); the first subscriber of this
    process starts one listener task that receives the channel and delivers to every local
    subscriber. Changes are delivered only through Redis, so each subscriber hears each
    change once whichever process wrote it.

    Args:
        url: the Redis URL (``redis://host:port/db``).
        channel: the pub/sub channel (tests use their own).
    """

    def __init__(self, url: str, *, channel: str = ALERT_CHANNEL,
                 max_pending: int = DEFAULT_MAX_PENDING) -> None:
        super().__init__(max_pending)
        self._url = url
        self._channel = channel
        self._publisher = redis.Redis.from_url(url)
        self._listener: asyncio.Task[None] | None = None
        self._ready: asyncio.Event | None = None

    def __repr__(self) -> str:
        return f"{type(self).__name__}(channel={self._channel!r})"

    @staticmethod
    def _decode(text: str | bytes) -> Any:
        """The change of a message on the channel (a subclass carrying other changes, such
        as :class:`risk.collections.feed.RedisCaseFeed`, reads its own).

        Raises:
            ValueError, TypeError, KeyError: a malformed message.
        """
        return AlertChange.from_json(text)

    def publish(self, change: AlertChange) -> None:
        self._publisher.publish(self._channel, change.to_json())

    async def _listening(self) -> None:
        if self._listener is None or self._listener.done():
            self._ready = asyncio.Event()
            self._listener = asyncio.create_task(self._listen(self._ready),
                                                 name="alert-feed-listener")
        assert self._ready is not None
        await self._ready.wait()
        if self._listener.done():
            self._listener.result()  # raises why the listener stopped (Redis unreachable)

    async def _listen(self, ready: asyncio.Event) -> None:
        client = aioredis.Redis.from_url(self._url)
        pubsub = client.pubsub(ignore_subscribe_messages=True)
        try:
            await pubsub.subscribe(self._channel)
            ready.set()
            async for message in pubsub.listen():
                if message.get("type") != "message":
                    continue
                try:
                    change = self._decode(message["data"])
                except (ValueError, TypeError, KeyError) as exc:
                    logger.warning("ignored a malformed change on %s: %s",
                                   self._channel, exc)
                    continue
                self._deliver(change)
        finally:
            ready.set()
            await pubsub.aclose()
            await client.aclose()

    async def aclose(self) -> None:
        await super().aclose()
        listener = self._listener
        if listener is not None:
            listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await listener
        self._publisher.close()

    def close(self) -> None:
        """Release the publishing connection (a process that only publishes: the CLI)."""
        self._publisher.close()


def feed_for_broker(url: str | None) -> RedisAlertFeed | None:
    """The feed across processes for the broker at ``url`` when it is Redis, else ``None``
    (a RabbitMQ broker, or none: alert changes stay within the process that makes them)."""
    if url is not None and url.startswith(("redis://", "rediss://", "unix://")):
        return RedisAlertFeed(url)
    return None
