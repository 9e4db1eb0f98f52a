"""Per-client rate limiting of the API, with the headers clients read to pace themselves.

Each OAuth client (the token's ``client_id``: every user of one front end shares it, an
integration has its own) may send ``limit`` requests per window, counted with the
fixed-window strategy of the ``limits`` library in a storage every worker process shares
(Redis, ``redis://``; its calls run in a worker thread, off the event loop) or, for one
process, in memory (``memory://``: :class:`ProcessWindows`, a dictionary counted in place
with the same fixed windows). Every answer
carries the IETF draft headers (draft-ietf-httpapi-ratelimit-headers)::

    RateLimit-Policy: "per-client";q=600;w=60
    RateLimit: "per-client";r=598;t=41

(``q`` requests per ``w`` seconds; ``r`` left in this window, reset in ``t`` seconds); a
refused request gets ``429`` and ``Retry-After`` (seconds) as well.

Example::

    limiter = ClientRateLimiter.from_strings("600/minute", "memory://")
    verdict = await limiter.hit("console")
    if not verdict.allowed: ...  # 429, verdict.headers()
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from limits import RateLimitItem, parse
from limits.storage import MemoryStorage, Storage, storage_from_string
from limits.strategies import FixedWindowRateLimiter

from loanwatch.errors import ConfigurationError

__all__ = ["POLICY_NAME", "ClientRateLimiter", "ProcessWindows", "Verdict", "open_storage",
           "parse_limit"]

#: The policy's name in the ``RateLimit`` headers.
POLICY_NAME: Final = "per-client"
#: Clients counted in memory before the windows that ended are swept out.
SWEEP_AFTER_CLIENTS: Final = 10_000


@dataclass(frozen=True, slots=True)
class Verdict:
    """Whether a request may go on, and what its answer tells the client."""

    allowed: bool
    limit: int
    window_s: int
    remaining: int
    reset_s: int

    def headers(self) -> dict[str, str]:
        """The ``RateLimit`` and ``RateLimit-Policy`` headers (``Retry-After`` when
        refused)."""
        headers = {
            "RateLimit-Policy": f'"{POLICY_NAME}";q={self.limit};w={self.window_s}',
            "RateLimit": f'"{POLICY_NAME}";r={self.remaining};t={self.reset_s}',
        }
        if not self.allowed:
            headers["Retry-After"] = str(max(self.reset_s, 1))
        return headers


def parse_limit(limit: str, setting: str, examples: str) -> RateLimitItem:
    """``limit`` in the ``limits`` notation ("600/minute"), read from ``setting``.

    Raises:
        ConfigurationError: it is not one (the message names the setting; ``examples``
            show the notation).
    """
    try:
        return parse(limit)
    except ValueError as exc:
        raise ConfigurationError(f"{setting} {limit!r} is not a rate limit: {exc}",
                                 suggestion=f"write it as {examples}") from exc


def open_storage(storage_url: str) -> Storage:
    """The ``limits`` storage at ``storage_url`` (``memory://``, ``redis://host:6379/0``).

    Raises:
        ConfigurationError: the URI is malformed or names no usable storage.
    """
    try:
        return storage_from_string(storage_url)
    except Exception as exc:  # limits raises several types for a bad URI
        raise ConfigurationError(
            f"LOANWATCH_RATE_LIMIT_STORAGE {storage_url!r} is not a usable storage: "
            f"{exc}", suggestion="use memory:// or redis://host:6379/N") from exc


class ProcessWindows:
    """Fixed windows counted in this process's memory, as the ``limits`` library counts them
    (a client's window opens at its first request and lasts ``limit``'s period; ``amount``
    requests fit in it).

    Written here rather than taken from ``limits``: its ``MemoryStorage`` starts a timer
    thread (at most every 10 ms) to expire keys, and the request that starts it waits for
    the thread to run. Under load that cost several times the rest of the limiter and
    competed with the requests for the interpreter. Here a window that ended is simply
    replaced when its client comes back, and ended windows are swept out once more than
    ``SWEEP_AFTER_CLIENTS`` clients are held.

    Not thread-safe: the API calls it from the event loop only.
    """

    def __init__(self, limit: RateLimitItem, clock: Callable[[], float] = time.time) -> None:
        self._amount = limit.amount
        self._period_s = limit.get_expiry()
        self._clock = clock
        #: client -> (when its window ends, requests counted in it)
        self._windows: dict[str, tuple[float, int]] = {}

    def __repr__(self) -> str:
        return f"ProcessWindows({self._amount}/{self._period_s}s, {len(self._windows)} clients)"

    def hit(self, client: str) -> tuple[bool, int, float]:
        """Count one request of ``client``: whether it fits, requests left, and when the
        window ends (epoch seconds)."""
        now = self._clock()
        ends, count = self._windows.get(client, (0.0, 0))
        if ends <= now:
            if len(self._windows) >= SWEEP_AFTER_CLIENTS:
                self._sweep(now)
            ends, count = now + self._period_s, 0
        allowed = count < self._amount
        if allowed:
            count += 1
            self._windows[client] = (ends, count)
        return allowed, self._amount - count, ends

    def _sweep(self, now: float) -> None:
        self._windows = {client: window for client, window in self._windows.items()
                         if window[0] > now}

    def reset(self) -> None:
        """Forget every count."""
        self._windows.clear()


class ClientRateLimiter:
    """Count each client's requests against one limit.

    Args:
        limit: the ``limits`` item, e.g. ``parse("600/minute")``.
        storage: where the counts live (shared by every process that uses it).
    """

    def __init__(self, limit: RateLimitItem, storage: Storage) -> None:
        self.limit = limit
        self._storage = storage
        self._strategy = FixedWindowRateLimiter(storage)
        self._in_memory = (ProcessWindows(limit) if isinstance(storage, MemoryStorage)
                           else None)

    def __repr__(self) -> str:
        return f"ClientRateLimiter({self.limit}, {type(self._storage).__name__})"

    @classmethod
    def from_strings(cls, limit: str, storage_url: str) -> ClientRateLimiter:
        """A limiter from settings: ``limit`` in the ``limits`` notation ("600/minute"),
        ``storage_url`` a ``limits`` storage URI (``memory://``, ``redis://host:6379/0``).

        Raises:
            ConfigurationError: either is malformed (the message names which).
        """
        item = parse_limit(limit, "LOANWATCH_RATE_LIMIT", "'600/minute' or '20/second'")
        return cls(item, open_storage(storage_url))

    async def hit(self, client: str) -> Verdict:
        """Count one request of ``client``; whether it is within the limit."""
        if self._in_memory is not None:
            allowed, remaining, ends = self._in_memory.hit(client)
            return self._verdict(allowed, remaining, ends)
        return await asyncio.to_thread(self._hit, client)

    def _hit(self, client: str) -> Verdict:
        allowed = self._strategy.hit(self.limit, client)
        stats = self._strategy.get_window_stats(self.limit, client)
        return self._verdict(allowed, stats.remaining, stats.reset_time)

    def _verdict(self, allowed: bool, remaining: int, ends: float) -> Verdict:
        return Verdict(allowed=allowed, limit=self.limit.amount,
                       window_s=self.limit.get_expiry(), remaining=max(remaining, 0),
                       reset_s=max(math.ceil(ends - time.time()), 0))

    def reset(self) -> None:
        """Forget every count (tests, and an operator lifting a limit at once)."""
        if self._in_memory is not None:
            self._in_memory.reset()
        self._storage.reset()
