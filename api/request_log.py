"""Every HTTP request gets an id, echoed in ``X-Request-Id`` and logged in one JSON line.

A client (or a proxy in front) may send ``X-Request-Id``; a value of at most
:data:`MAX_REQUEST_ID_LENGTH` characters from ``A-Z a-z 0-9 . _ : -`` is kept, anything
else replaced by a fresh random id, so a log line never carries what a client injected.
The id is in every log record made while serving the request (:mod:`api.logs`), in the
request's audit events (:class:`schema.context.Context.request_id`) and in the response.

When the request is done, logger ``loanwatch.access`` writes one line: method, path,
status, duration, the client and user of the token, and the GraphQL operation name.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Mapping
from typing import Final

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.logs import REQUEST_ID

__all__ = ["MAX_REQUEST_ID_LENGTH", "REQUEST_ID_HEADER", "RequestLog", "accepted_request_id",
           "client_address", "note_for_log", "request_id_of", "with_headers"]

REQUEST_ID_HEADER: Final = "x-request-id"
MAX_REQUEST_ID_LENGTH: Final = 128
_ACCEPTED: Final = re.compile(rf"[A-Za-z0-9._:\-]{{1,{MAX_REQUEST_ID_LENGTH}}}")

access_log = logging.getLogger("loanwatch.access")


def accepted_request_id(given: str | None) -> str:
    """``given`` when it is an acceptable request id, else a fresh one."""
    if given is not None and _ACCEPTED.fullmatch(given):
        return given
    return uuid.uuid4().hex


class RequestLog:
    """ASGI middleware: the request id in and out, and the access log line."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers", []))
        given = headers.get(REQUEST_ID_HEADER.encode())
        request_id = accepted_request_id(None if given is None else given.decode("latin-1"))
        state = scope.setdefault("state", {})
        state["request_id"] = request_id
        token = REQUEST_ID.set(request_id)
        started = time.perf_counter()
        status = 0

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message = {**message, "headers": [
                    *message.get("headers", []),
                    (REQUEST_ID_HEADER.encode(), request_id.encode())]}
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            access_log.info(
                "%s %s %s", scope.get("method", "WS"), scope.get("path", ""), status,
                extra={"request_id": request_id, "fields": {
                    "method": scope.get("method", "WS"), "path": scope.get("path", ""),
                    "status": status,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 3),
                    "client_id": state.get("client_id", ""), "user": state.get("user", ""),
                    "operation": state.get("operation", ""),
                }})
            REQUEST_ID.reset(token)


def request_id_of(scope: Scope) -> str:
    """The request id :class:`RequestLog` gave this request ("" without)."""
    return str(scope.get("state", {}).get("request_id", ""))


def note_for_log(scope: Scope, **values: str) -> None:
    """Leave ``values`` for the access log (:class:`RequestLog`)."""
    scope.setdefault("state", {}).update(values)


def with_headers(send: Send, headers: Mapping[str, str]) -> Send:
    """``send`` adding ``headers`` to the response's start."""
    encoded = [(name.lower().encode("latin-1"), value.encode("latin-1"))
               for name, value in headers.items()]

    async def sending(message: Message) -> None:
        if message["type"] == "http.response.start":
            message = {**message, "headers": [*message.get("headers", []), *encoded]}
        await send(message)

    return sending


def client_address(scope: Scope) -> str:
    """The caller's address as the server saw it ("" when unknown)."""
    client = scope.get("client")
    return str(client[0]) if client else ""
