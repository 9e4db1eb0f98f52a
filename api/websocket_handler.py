"""``graphql-transport-ws`` as Loanwatch serves it: Strawberry's handler, with its limits,
its callers' tokens watched, and persisted documents.

What it adds to Strawberry's :class:`BaseGraphQLTransportWSHandler` (the view passes a
:class:`WebSocketGate` with what it needs):

- **Connections** (:mod:`api.websocket_limits`): past ``max_connections`` in this process a
  new connection is closed at once with ``1013`` (try again later: clients retry with
  back-off); past ``max_connections_per_client`` for the caller of a ``connection_init`` it
  is closed with ``4429``; a connection without a valid ``connection_init`` within
  ``init_timeout_s`` is closed with ``4408`` (Strawberry's).
- **Authentication** of ``connection_init`` (unless the handshake's ``Authorization``
  header did it): its payload's ``Authorization`` entry (``"Bearer <token>"``). Without a
  valid token the connection is closed with ``4403``; past the address's failure limit
  (:mod:`api.failed_auth`) with ``4429``.
- **The token's lifetime**: the connection is closed with ``4403`` when its access token
  expires, or when a check every ``token_recheck_s`` finds it revoked; graphql-ws clients
  then reconnect, asking for fresh connection parameters (a fresh token).
- **Operations per connection**: past ``max_subscriptions_per_connection`` a ``subscribe``
  is answered with an ``error`` message (``TOO_MANY_SUBSCRIPTIONS``); the connection and
  its other operations go on.
- **Persisted documents** (:mod:`schema.persisted`): a ``subscribe`` payload may name a
  registered document by its hash, as over HTTP (``extensions.persistedQuery.sha256Hash``,
  ``extensions.documentId`` or ``documentId``); the hash is resolved before the operation
  starts, and a refused document (unknown hash; an unregistered one in persisted-only mode)
  is answered with an ``error`` message carrying the same code and words as over HTTP.

Every close and refusal is counted in the metrics (:class:`api.metrics.ApiMetrics`).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

from graphql import GraphQLError
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
    Operation,
)
from strawberry.subscriptions.protocols.graphql_transport_ws.types import (
    ConnectionInitMessage,
    SubscribeMessage,
)

from api.bearer import authenticate, bearer_token
from api.failed_auth import THROTTLED_CLOSE_CODE, FailedAuthentication, throttled_reason
from api.metrics import ApiMetrics
from api.request_log import client_address
from api.websocket_limits import WebSocketConnections
from auth.errors import InvalidToken
from auth.principal import Principal, TokenVerifier
from schema import Context, ErrorCode
from schema.persisted import PersistedDocuments

__all__ = [
    "CLOSE_FORBIDDEN",
    "CLOSE_TOO_MANY",
    "CLOSE_TRY_AGAIN_LATER",
    "TransportWSHandler",
    "WebSocketGate",
]

#: Close codes: the token is missing, refused, expired or revoked (graphql-ws's
#: ``Forbidden``: clients reconnect with fresh connection parameters).
CLOSE_FORBIDDEN: Final = 4403
#: Too many connections of this caller, or failed authentications from this address
#: (graphql-ws's ``TooManyInitialisationRequests``: clients do not retry on their own).
CLOSE_TOO_MANY: Final = THROTTLED_CLOSE_CODE
#: The process holds as many connections as it may (RFC 6455 "Try Again Later").
CLOSE_TRY_AGAIN_LATER: Final = 1013
#: A close frame's reason is at most 123 bytes.
_MAX_REASON_BYTES: Final = 123

logger = logging.getLogger(__name__)


def _reason(text: str) -> str:
    return text.encode()[:_MAX_REASON_BYTES].decode(errors="ignore")


@dataclass(frozen=True, slots=True)
class WebSocketGate:
    """What the handler of every connection shares: the counts, the verifier, the failure
    throttle, the metrics and the registered documents (``None``: none resolved here)."""

    connections: WebSocketConnections
    verifier: TokenVerifier
    metrics: ApiMetrics
    failed_auth: FailedAuthentication | None = None
    documents: PersistedDocuments | None = None


class TransportWSHandler(BaseGraphQLTransportWSHandler[Context, None]):
    """One ``graphql-transport-ws`` connection; its view has a ``websocket_gate``."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._gate: WebSocketGate = self.view.websocket_gate  # type: ignore[attr-defined]
        self._subject: str | None = None
        self._token: str | None = None
        self._watch: asyncio.Task[None] | None = None

    async def handle(self) -> None:
        gate = self._gate
        if not gate.connections.open():
            limit = gate.connections.limits.max_connections
            await self._close(CLOSE_TRY_AGAIN_LATER, f"the server holds its most WebSocket "
                              f"connections ({limit}); try again later", "too-many-connections")
            return
        gate.metrics.ws_connections.inc()
        try:
            await super().handle()
        finally:
            gate.connections.close()
            gate.metrics.ws_connections.dec()
            if self._subject is not None:
                gate.connections.leave(self._subject)
            if self._watch is not None:
                self._watch.cancel()

    async def handle_connection_init_timeout(self) -> None:
        await super().handle_connection_init_timeout()
        if self.connection_timed_out:
            self._gate.metrics.ws_closed.labels("init-timeout").inc()

    async def handle_connection_init(self, message: ConnectionInitMessage) -> None:
        payload = message.get("payload", {})
        if self.connection_init_received or self.connection_timed_out \
                or not isinstance(payload, dict):
            await super().handle_connection_init(message)  # Strawberry's 4429 / 4400
            return
        refusal = await self._admit(payload)
        if refusal is not None:
            self.connection_init_received = True
            if self.connection_init_timeout_task is not None:
                self.connection_init_timeout_task.cancel()
            await self._close(*refusal)
            return
        await super().handle_connection_init(message)
        if self.connection_acknowledged and self._watch is None:
            self._watch = asyncio.create_task(self._watch_token())
            self._watch.add_done_callback(self._task_done)

    async def _admit(self, payload: dict[str, object]) -> tuple[int, str, str] | None:
        """Authenticate the connection (unless its handshake did) and count it as its
        caller's; the close code, reason and metric label of a refusal, or ``None``."""
        gate = self._gate
        principal: Principal | None = self.context.principal
        if principal is None:
            value = payload.get("Authorization", payload.get("authorization"))
            authorization = value if isinstance(value, str) else None
            try:
                principal = await authenticate(authorization, gate.verifier)
            except InvalidToken as refused:
                gate.metrics.rejected.labels(ErrorCode.UNAUTHENTICATED.value).inc()
                source = client_address(self.websocket.ws.scope)  # type: ignore[attr-defined]
                wait = None if gate.failed_auth is None else await gate.failed_auth.refused(
                    source)
                if wait is not None:
                    gate.metrics.auth_throttled.labels("websocket").inc()
                    return CLOSE_TOO_MANY, throttled_reason(wait), "throttled"
                logger.info("WebSocket connection_init refused: %s", refused.message)
                return CLOSE_FORBIDDEN, f"Forbidden: {refused.message}", "unauthenticated"
            self.context.principal = principal
        else:
            authorization = self.websocket.ws.headers.get(  # type: ignore[attr-defined]
                "authorization")
        self._token = None if authorization is None else bearer_token(authorization)
        if not gate.connections.join(principal.subject):
            limit = gate.connections.limits.max_connections_per_client
            return (CLOSE_TOO_MANY, f"this caller holds its most WebSocket connections "
                    f"({limit}); close one first", "too-many-client-connections")
        self._subject = principal.subject
        return None

    async def _watch_token(self) -> None:
        """Close the connection when its token expires, or is found revoked."""
        principal: Principal = self.context.principal
        recheck = self._gate.connections.limits.token_recheck_s
        while True:
            wait = recheck
            if principal.expires_at is not None:
                left = (principal.expires_at - datetime.now(UTC)).total_seconds()
                if left <= 0:
                    await self._close(CLOSE_FORBIDDEN, "Forbidden: the access token expired; "
                                      "reconnect with a fresh one", "token-expired")
                    return
                wait = min(wait, left)
            await asyncio.sleep(wait)
            if self._token is None or (principal.expires_at is not None
                                       and principal.expires_at <= datetime.now(UTC)):
                continue  # expired: answered as such above
            try:
                await self._gate.verifier.verify(self._token)
            except InvalidToken as refused:
                await self._close(CLOSE_FORBIDDEN, f"Forbidden: {refused.message}",
                                  "token-invalid")
                return

    async def handle_subscribe(self, message: SubscribeMessage) -> None:
        payload: object = message.get("payload")
        if not self.connection_acknowledged or message.get("id") in self.operations:
            await super().handle_subscribe(message)  # Strawberry's 4401 / 4409
            return
        if not isinstance(payload, dict) or not isinstance(message.get("id"), str):
            await self.handle_invalid_message("a subscribe message needs an id and a "
                                              "payload object")
            return
        limit = self._gate.connections.limits.max_subscriptions_per_connection
        if len(self.operations) >= limit:
            await self._refuse(message["id"], GraphQLError(
                f"this connection runs {limit} operations already, the most one connection "
                "may: complete one first", extensions={
                    "code": ErrorCode.TOO_MANY_SUBSCRIPTIONS.value}))
            return
        try:
            query = self._document(payload)
        except GraphQLError as refused:
            await self._refuse(message["id"], refused)
            return
        await super().handle_subscribe({**message, "payload": {**payload, "query": query}})

    def _document(self, payload: dict[str, Any]) -> str:
        """The text the ``subscribe`` payload asks to run.

        Raises:
            GraphQLError: a refused persisted document, or no document at all.
        """
        query = payload.get("query")
        if query is not None and not isinstance(query, str):
            raise GraphQLError("payload.query must be a string",
                               extensions={"code": ErrorCode.BAD_REQUEST.value})
        extensions = payload.get("extensions")
        if extensions is not None and not isinstance(extensions, dict):
            raise GraphQLError("payload.extensions must be an object",
                               extensions={"code": ErrorCode.BAD_REQUEST.value})
        if payload.get("documentId") is not None:
            extensions = {**(extensions or {}), "documentId": payload["documentId"]}
        documents = self._gate.documents
        text = None if documents is None else documents.document(query, extensions)
        text = text or query
        if not text:
            raise GraphQLError(
                "the subscribe message has no document: send payload.query, or the hash of "
                "a registered document (payload.extensions.persistedQuery.sha256Hash or "
                "payload.documentId)", extensions={"code": ErrorCode.BAD_REQUEST.value})
        return text

    async def run_operation(self, operation: Operation[Context, None]) -> None:
        self._gate.metrics.ws_operations.inc()
        try:
            await super().run_operation(operation)
        finally:
            self._gate.metrics.ws_operations.dec()

    async def _refuse(self, operation_id: str, error: GraphQLError) -> None:
        code = str((error.extensions or {}).get("code", ""))
        self._gate.metrics.ws_refused.labels(code).inc()
        await self.send_message({"id": operation_id, "type": "error",
                                 "payload": [error.formatted]})

    async def _close(self, code: int, reason: str, label: str) -> None:
        self._gate.metrics.ws_closed.labels(label).inc()
        logger.info("WebSocket closed with %d: %s", code, reason)
        await self.websocket.close(code=code, reason=_reason(reason))
