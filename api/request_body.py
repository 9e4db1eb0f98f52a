"""A GraphQL request's body: its limits, reading it within them, its JSON, and watching for
the client to go.

The GraphQL view reads the whole body itself (to refuse an oversized one with 413 before
anything parses it, :class:`RequestLimits`), hands it on with :func:`replaying`, and
meanwhile waits on :func:`watch_disconnect` so that a query nobody will read is stopped.
Bodies are read and answers written as JSON by :func:`decode_json_body` and
:func:`encode_json_text`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Final

import orjson
from cross_web import HTTPException
from starlette.requests import Request
from starlette.types import Message, Receive, Scope

__all__ = ["DEFAULT_MAX_REQUEST_BYTES", "DEFAULT_QUERY_TIME_LIMIT_S", "Disconnected",
           "RequestLimits", "decode_json_body", "encode_json_text", "read_body", "replaying",
           "watch_disconnect"]

#: Largest GraphQL request body (or GET query string); the token limit bounds the
#: document well below this.
DEFAULT_MAX_REQUEST_BYTES: Final = 64 * 1024
#: Seconds one request may take, waiting for a turn included.
DEFAULT_QUERY_TIME_LIMIT_S: Final = 15.0


@dataclass(frozen=True, slots=True)
class RequestLimits:
    """How large and how long one request to ``/graphql`` may be.

    Raises:
        ValueError: a limit is not positive.
    """

    max_request_bytes: int = DEFAULT_MAX_REQUEST_BYTES
    time_limit_s: float = DEFAULT_QUERY_TIME_LIMIT_S

    def __post_init__(self) -> None:
        if self.max_request_bytes < 1 or self.time_limit_s <= 0:
            raise ValueError("RequestLimits must be positive")


def encode_json_text(data: object) -> str:
    """JSON text of ``data`` by orjson (several times faster than the standard library on a
    large answer), UTF-8 rather than ``\\u`` escapes; anything orjson cannot write (an
    integer past 64 bits) falls back to the standard library."""
    try:
        return orjson.dumps(data).decode()
    except TypeError:
        return json.dumps(data, separators=(",", ":"))


def decode_json_body(data: str | bytes) -> object:
    """JSON in UTF-8, as GraphQL over HTTP requires; other bytes are the client's error.

    Raises:
        HTTPException: 400 naming the first byte that is not UTF-8.
    """
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise HTTPException(
                400, f"the request body is not valid UTF-8: byte {data[exc.start]:#04x} "
                     f"at offset {exc.start}") from exc
    return json.loads(data)


class Disconnected(Exception):
    """The client went away while its request was read."""


def too_large(limit: int, what: str) -> HTTPException:
    return HTTPException(413, f"the {what} is larger than the limit of {limit:,} bytes")


async def read_body(scope: Scope, receive: Receive, limit: int) -> bytes:
    """The whole request body, refused past ``limit`` bytes.

    Raises:
        HTTPException: 413 past the limit (the query string of a GET too), 400 for a
            malformed Content-Length.
        Disconnected: the client went away first.
    """
    if len(scope.get("query_string", b"")) > limit:
        raise too_large(limit, "query string")
    declared = Request(scope).headers.get("content-length")
    if declared is not None:
        if not declared.strip().isdigit():
            raise HTTPException(400, f"Content-Length {declared!r} is not a number of bytes")
        if int(declared) > limit:
            raise too_large(limit, "request body")
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise Disconnected
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise too_large(limit, "request body")
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


def replaying(body: bytes, receive: Receive) -> Receive:
    """A ``receive`` that hands out ``body`` once, then waits on the real one."""
    pending = True

    async def replay() -> Message:
        nonlocal pending
        if pending:
            pending = False
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


async def watch_disconnect(receive: Receive) -> None:
    """Return when the client disconnects (call once the body has been read)."""
    while (await receive())["type"] != "http.disconnect":
        pass
