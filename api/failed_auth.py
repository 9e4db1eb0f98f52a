"""Throttling of requests to the API that fail authentication, per source address.

A request to ``/graphql`` without a valid access token (none, malformed, expired, revoked,
signed by a key we do not know), over HTTP or in a WebSocket's handshake or
``connection_init``, counts as one failure of its source address (the counting is
:class:`auth.throttle.FailureThrottle`'s, as for wrong client secrets and passwords). Once an
address has failed ``limit`` times in the window, its next failures are answered ``429``
with ``Retry-After`` instead of ``401`` (WebSocket: closed with ``4429``) until the window
moves on.

Only failures are counted and refused: a request with a valid token is never refused here,
whatever its address did, so a front end's users behind one NAT never suffer for a
neighbour's broken client, and a request that authenticates costs nothing here. The count is
per address, never per client id (anyone could lock a partner out by naming its id). A
request whose address is unknown is not counted.

The counts live in the API's ``limits`` storage (``LOANWATCH_RATE_LIMIT_STORAGE``): in
memory (one process) or Redis (shared by every process, so a client cannot spread its
failures over the workers).

Example::

    failures = FailedAuthentication.from_strings("120/minute", "memory://")
    wait = await failures.refused("203.0.113.9")
    if wait is not None:
        await throttled_response(wait, JSON_MEDIA_TYPE)(scope, receive, send)
"""

from __future__ import annotations

import asyncio
from typing import Final

import orjson
from limits.storage import MemoryStorage, Storage
from starlette.responses import Response
from starlette.types import Scope, Send

from api.http_status import JSON_MEDIA_TYPE
from api.rate_limit import open_storage, parse_limit
from auth.throttle import Attempt, FailureThrottle
from schema import ErrorCode

__all__ = [
    "DEFAULT_AUTH_FAILURE_LIMIT",
    "THROTTLED_CLOSE_CODE",
    "FailedAuthentication",
    "refuse_handshake",
    "throttled_reason",
    "throttled_response",
]

#: Failed authentications one address may make before it is refused: far above what a
#: real client makes (one ``401`` per expired token, then it refreshes), far below what a
#: client guessing tokens or looping on a bad one sends.
DEFAULT_AUTH_FAILURE_LIMIT: Final = "120/minute"
#: What closes a WebSocket refused for it (graphql-ws's "too many requests").
THROTTLED_CLOSE_CODE: Final = 4429
_UNAUTHORIZED_CLOSE_CODE: Final = 4401


def throttled_reason(wait_s: int) -> str:
    """What a client refused for failing authentication too often is told."""
    return (f"too many requests without a valid access token from this address; retry in "
            f"{wait_s} s")


def _body(wait_s: int) -> bytes:
    return orjson.dumps({"errors": [{"message": throttled_reason(wait_s), "extensions": {
        "code": ErrorCode.RATE_LIMITED.value}}]})


def throttled_response(wait_s: int, media_type: str) -> Response:
    """429 with ``Retry-After`` and a GraphQL response whose error is ``RATE_LIMITED``."""
    return Response(_body(wait_s), status_code=429, media_type=media_type,
                    headers={"retry-after": str(wait_s)})


async def refuse_handshake(scope: Scope, send: Send, wait_s: int | None) -> None:
    """Refuse a WebSocket handshake (its ``websocket.connect`` received) whose token was
    refused: with ``wait_s`` (its address failed too often), 429 and ``Retry-After`` where
    the server can answer a handshake with a response, else a close with
    :data:`THROTTLED_CLOSE_CODE`; without, a close (4401: the server answers 403)."""
    if wait_s is None:
        await send({"type": "websocket.close", "code": _UNAUTHORIZED_CLOSE_CODE,
                    "reason": "Unauthorized"})
    elif "websocket.http.response" in scope.get("extensions", {}):
        await send({"type": "websocket.http.response.start", "status": 429, "headers": [
            (b"content-type", JSON_MEDIA_TYPE.encode()),
            (b"retry-after", str(wait_s).encode())]})
        await send({"type": "websocket.http.response.body", "body": _body(wait_s)})
    else:
        await send({"type": "websocket.close", "code": THROTTLED_CLOSE_CODE,
                    "reason": throttled_reason(wait_s)})


class FailedAuthentication:
    """Counts failed authentications per source address and says when to refuse.

    Args:
        storage: the ``limits`` storage the counts live in.
        limit: a ``limits`` rate string, e.g. ``"120/minute"``.
    """

    def __init__(self, storage: Storage, *, limit: str = DEFAULT_AUTH_FAILURE_LIMIT) -> None:
        self._throttle = FailureThrottle(storage, limit=limit)
        self._storage = storage
        self._in_memory = isinstance(storage, MemoryStorage)

    def __repr__(self) -> str:
        return f"FailedAuthentication({self._throttle.limit}, {type(self._storage).__name__})"

    @property
    def limit(self) -> str:
        return str(self._throttle.limit)

    @classmethod
    def from_strings(cls, limit: str, storage_url: str) -> FailedAuthentication:
        """From settings: ``limit`` in the ``limits`` notation, ``storage_url`` a ``limits``
        storage URI (``memory://``, ``redis://host:6379/0``).

        Raises:
            ConfigurationError: either is malformed (the message names which).
        """
        parse_limit(limit, "LOANWATCH_AUTH_FAILURE_LIMIT", "'120/minute' or '10/second'")
        return cls(open_storage(storage_url), limit=limit)

    async def refused(self, source: str) -> int | None:
        """Count one failed authentication from ``source``; the seconds it must wait when it
        failed too often (refuse it: 429), ``None`` when it may be told 401."""
        if not source:
            return None
        if self._in_memory:
            return self._throttle.refuse_after_failure(Attempt.BEARER_TOKEN, source)
        return await asyncio.to_thread(self._throttle.refuse_after_failure,
                                       Attempt.BEARER_TOKEN, source)

    def clear(self, source: str) -> None:
        """Forget ``source``'s failures (an operator lifting a block at once)."""
        self._throttle.clear(Attempt.BEARER_TOKEN, source)
