"""The feed of collection-case changes: what the API's ``caseChanges`` subscribers hear when
a case is opened, moves bucket, is held, resumed, cured, written off or closed.

Writers call ``publish`` once their transaction has committed: a person's transition
(:func:`risk.collections.cases.transition_case`) and the daily run
(:func:`risk.collections.run.run_collections`, one change per case transition). A change is
a small :class:`CaseChange`; subscribers read the case itself when they need more.

The delivery machinery is the alert feed's (:mod:`risk.alerts.feed`): within one process
(:class:`LocalCaseFeed`) or across processes through Redis pub/sub on its own channel
(:class:`RedisCaseFeed`), at most once and best effort, a slow subscriber losing its
oldest changes rather than the server its memory.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator
from dataclasses import asdict, dataclass
from typing import Any, Final, Protocol

from risk.alerts.feed import DEFAULT_MAX_PENDING, LocalAlertFeed, RedisAlertFeed

__all__ = [
    "CASE_CHANNEL",
    "CaseChange",
    "CaseFeed",
    "LocalCaseFeed",
    "RedisCaseFeed",
    "case_feed_for_broker",
]

#: The Redis pub/sub channel of case changes.
CASE_CHANNEL: Final = "loanwatch:cases"


@dataclass(frozen=True, slots=True)
class CaseChange:
    """One transition of one case: ``event`` (:class:`risk.collections.cases.
    CaseEventKind`: opened, moved, held, resumed, cured, written_off, closed) took it from
    ``from_state`` to ``state``; ``bucket`` and ``segment`` are the case's after it;
    ``actor`` is ``system`` or a user's login; ``at`` an ISO 8601 time."""

    case_id: str
    loan_id: str
    event: str
    from_state: str | None
    state: str
    bucket: str
    segment: str
    actor: str
    at: str

    def to_json(self) -> str:
        return json.dumps(asdict(self), separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str | bytes) -> CaseChange:
        """Raises ``ValueError``, ``TypeError`` or ``KeyError`` on a malformed message."""
        data: dict[str, Any] = json.loads(text)
        source = data["from_state"]
        return cls(case_id=str(data["case_id"]), loan_id=str(data["loan_id"]),
                   event=str(data["event"]), from_state=None if source is None else str(source),
                   state=str(data["state"]), bucket=str(data["bucket"]),
                   segment=str(data["segment"]), actor=str(data["actor"]), at=str(data["at"]))


class CaseFeed(Protocol):
    """Where case changes are published and heard."""

    def publish(self, change: CaseChange) -> None:
        """Announce ``change`` (from any thread; never blocks on subscribers)."""

    def subscribe(self) -> contextlib.AbstractAsyncContextManager[AsyncIterator[CaseChange]]:
        """An async context that yields the changes published from now on."""

    async def aclose(self) -> None:
        """Stop listening and release connections."""


class LocalCaseFeed(LocalAlertFeed):
    """Case changes within one process (one API worker, the CLI's own run, the tests)."""


class RedisCaseFeed(RedisAlertFeed):
    """Case changes across processes through Redis pub/sub on :data:`CASE_CHANNEL`.

    Args:
        url: the Redis URL (``redis://host:port/db``).
        channel: the pub/sub channel (tests use their own).
    """

    def __init__(self, url: str, *, channel: str = CASE_CHANNEL,
                 max_pending: int = DEFAULT_MAX_PENDING) -> None:
        super().__init__(url, channel=channel, max_pending=max_pending)

    @staticmethod
    def _decode(text: str | bytes) -> Any:
        return CaseChange.from_json(text)


def case_feed_for_broker(url: str | None) -> RedisCaseFeed | None:
    """The feed across processes for the broker at ``url`` when it is Redis, else ``None``
    (case changes then reach only the subscribers of the process that makes them)."""
    if url is not None and url.startswith(("redis://", "rediss://", "unix://")):
        return RedisCaseFeed(url)
    return None
