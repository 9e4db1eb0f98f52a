"""Reading an ASGI request's body within a size limit, and watching for the client to go.

The GraphQL view reads the whole body itself (to refuse an oversized one with 413 before
anything parses it), hands it on with :func:`replaying`, and meanwhile waits on
:func:`watch_disconnect` so that a query nobody will read is stopped.
"""

from __future__ import annotations

from cross_web import HTTPException
from starlette.requests import Request
from starlette.types import Message, Receive, Scope

__all__ = ["Disconnected", "read_body", "replaying", "watch_disconnect"]


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
