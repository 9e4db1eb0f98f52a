"""Throttling of wrong client secrets, passwords and bearer tokens, per source address.

Each failed attempt from an address counts in a moving window; once an address has failed
:data:`DEFAULT_FAILURE_LIMIT` times, its attempts are refused (429, with the seconds to wait)
until the window moves on. The count is per *source address*, never per client id or login:
a lock-out per client id would let anyone who knows a partner's id lock the partner out.

The counts live in a ``limits`` storage: in memory (one process) or Redis (shared by every
process: ``LOANWATCH_OAUTH_REDIS_URL`` for the OAuth endpoints, and
``LOANWATCH_RATE_LIMIT_STORAGE`` for the API's bearer tokens, :mod:`api.failed_auth`).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from enum import StrEnum
from typing import Final

from limits import RateLimitItem, parse
from limits.storage import MemoryStorage, Storage
from limits.strategies import MovingWindowRateLimiter

__all__ = ["DEFAULT_FAILURE_LIMIT", "Attempt", "FailureThrottle"]

#: Failed attempts an address may make, and in what window.
DEFAULT_FAILURE_LIMIT: Final = "10 per 5 minutes"
_NAMESPACE: Final = "loanwatch-oauth-failures"


class Attempt(StrEnum):
    """What was tried."""

    CLIENT_SECRET = "client-secret"
    PASSWORD = "password"
    #: A request to the API without a valid access token (none, malformed, expired,
    #: revoked, not ours).
    BEARER_TOKEN = "bearer-token"


class FailureThrottle:
    """Counts failures per source address and says when to refuse.

    Args:
        storage: a ``limits`` storage (default: in memory).
        limit: a ``limits`` rate string, e.g. ``"10 per 5 minutes"``.
    """

    def __init__(self, storage: Storage | None = None, *, limit: str = DEFAULT_FAILURE_LIMIT,
                 clock: Callable[[], float] = time.time) -> None:
        self._limiter = MovingWindowRateLimiter(storage or MemoryStorage())
        self._item: RateLimitItem = parse(limit)
        self._clock = clock

    @property
    def limit(self) -> RateLimitItem:
        return self._item

    def retry_after(self, attempt: Attempt, source: str) -> int | None:
        """Seconds ``source`` must wait before trying ``attempt`` again, or ``None`` when
        it may try now."""
        if self._limiter.test(self._item, _NAMESPACE, attempt.value, source):
            return None
        stats = self._limiter.get_window_stats(self._item, _NAMESPACE, attempt.value, source)
        return max(1, math.ceil(stats.reset_time - self._clock()))

    def failed(self, attempt: Attempt, source: str) -> None:
        """Count one failed ``attempt`` from ``source``."""
        self._limiter.hit(self._item, _NAMESPACE, attempt.value, source)

    def refuse_after_failure(self, attempt: Attempt, source: str) -> int | None:
        """Count one failed ``attempt`` from ``source``, unless it is already over the
        limit; the seconds it must wait when it is (it is refused), ``None`` when not.

        One storage round trip while ``source`` is within the limit, two past it.
        """
        if self._limiter.hit(self._item, _NAMESPACE, attempt.value, source):
            return None
        stats = self._limiter.get_window_stats(self._item, _NAMESPACE, attempt.value, source)
        return max(1, math.ceil(stats.reset_time - self._clock()))

    def clear(self, attempt: Attempt, source: str) -> None:
        self._limiter.clear(self._item, _NAMESPACE, attempt.value, source)
