"""The ``/graphql`` endpoint: Strawberry's ASGI view, with our context, limits and errors.

It follows GraphQL over HTTP: POST with a JSON body or GET with query parameters (GET
cannot run mutations: 405), GraphiQL for a browser's GET. Statuses and media types follow
:mod:`api.http_status`. Every answer, a rejected request's included, is a GraphQL
response whose errors carry ``extensions.code``.

Around each request the view enforces what the schema cannot:

- the body, or a GET's query string, is at most ``max_request_bytes`` (413);
- the request gets ``time_limit_s`` seconds; past it, its execution is cancelled, its
  graph walks stop at their next hop, and the client gets ``QUERY_TIMEOUT``;
- a client that disconnects has its execution cancelled and its walks stopped: nobody
  would read the answer;
- heavy queries pass ``admission`` (:class:`api.admission.HeavyQueryGate`) before they
  execute;
- every request but the GraphiQL page carries a bearer token the ``verifier`` accepts
  (401 with an RFC 6750 challenge otherwise, :mod:`api.bearer`), and stays within its
  client's rate limit (429, :mod:`api.rate_limit`); the schema then refuses a document
  selecting a field the token's rights do not cover (403 ``FORBIDDEN``,
  :mod:`schema.authorization`). A WebSocket (``graphql-transport-ws``) authenticates
  with its ``Authorization`` header or the ``Authorization`` entry of its
  ``connection_init`` payload; without a valid token the connection is closed (4403).
  The WebSocket's limits, token watch and persisted documents are
  :mod:`api.websocket_handler`'s.
- a request without a valid token counts as a failure of its source address
  (:mod:`api.failed_auth`); past the limit it gets 429 with ``Retry-After`` instead of 401
  (a WebSocket handshake: 429; a ``connection_init``: closed with 4429).
"""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import timedelta

from cross_web import AsyncHTTPRequestAdapter, HTTPException
from graphql import GraphQLError
from sqlalchemy import Engine
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError, MissingQueryError
from strawberry.http import GraphQLHTTPResponse, GraphQLRequestData
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.types.execution import ExecutionResult
from strawberry.types.graphql import OperationType
from strawberry.types.unset import UNSET, UnsetType

from api.bearer import authenticate, bearer_challenge
from api.failed_auth import FailedAuthentication, refuse_handshake, throttled_response
from api.graphiql import graphiql_html
from api.http_status import (
    CODE_OF_REJECTED_STATUS,
    GRAPHQL_RESPONSE_MEDIA_TYPE,
    JSON_MEDIA_TYPE,
    error_body,
    request_error_status,
    response_media_type,
)
from api.metrics import ApiMetrics, CountingAuditSink
from api.rate_limit import ClientRateLimiter, Verdict
from api.request_body import (
    DEFAULT_MAX_REQUEST_BYTES,
    DEFAULT_QUERY_TIME_LIMIT_S,
    Disconnected,
    RequestLimits,
    decode_json_body,
    encode_json_text,
    read_body,
    replaying,
    watch_disconnect,
)
from api.request_log import client_address, note_for_log, request_id_of, with_headers
from api.websocket_handler import TransportWSHandler, WebSocketGate
from api.websocket_limits import WebSocketConnections, WebSocketLimits
from auth.audit_events import AuditSink
from auth.errors import AuditError, InvalidToken
from auth.principal import Principal, Right, TokenVerifier
from graph.store import GraphStore
from graph.vault import PersonalDataVault
from graph.walks import LoopWalker
from jobs.event_submission import EventFlowSubmitter
from portfolio.money import DEFAULT_CURRENCY
from risk.alerts.feed import AlertFeed
from risk.collections.feed import CaseFeed
from schema import Context, ErrorCode, LoanwatchSchema, build_context
from schema.control import Admission, QueryControl, admit_everything, timed_out
from schema.errors import QueryCancelled
from schema.loaders import reads_in_place

__all__ = [
    "DEFAULT_MAX_REQUEST_BYTES",
    "DEFAULT_QUERY_TIME_LIMIT_S",
    "GRAPHQL_RESPONSE_MEDIA_TYPE",
    "GraphQLView",
    "RequestLimits",
]

logger = logging.getLogger(__name__)


def _raise_unaudited(result: ExecutionResult) -> None:
    """Raise the audit trail's refusal when an extension reported one in ``result``.

    Raises:
        AuditError: the events of this request could not be recorded.
    """
    for error in result.errors or []:
        if isinstance(error.original_error, AuditError):
            raise error.original_error


class GraphQLView(GraphQL[Context, None]):
    """Serve ``schema`` over ``graph``; each request gets a fresh :class:`schema.Context`.

    Args:
        verifier: turns each request's bearer token into its caller.
        limits: body size and time limit of one request.
        admission: the gate heavy queries pass before executing.
        audit: where reads of personal data in clear and refusals are recorded.
        rate_limiter: each client's request budget (none: unlimited).
        metrics: where latencies, errors and rejections are counted.
        failed_auth: counts requests without a valid token per address (none: no
            throttle).
        websocket_limits: connections, operations and timeouts of WebSockets.

    ``loop_walker``, set while the server runs (:func:`api.app.create_app`'s lifespan),
    reads the requests' walks on the event loop (:class:`graph.walks.LoopWalker`).
    """

    graphql_transport_ws_handler_class = TransportWSHandler

    def __init__(self, schema: LoanwatchSchema, graph: GraphStore, *,
                 verifier: TokenVerifier,
                 limits: RequestLimits | None = None,
                 admission: Admission = admit_everything,
                 records: Engine | None = None,
                 audit: AuditSink | None = None,
                 rate_limiter: ClientRateLimiter | None = None,
                 metrics: ApiMetrics | None = None,
                 alert_feed: AlertFeed | None = None,
                 default_currency: str = DEFAULT_CURRENCY,
                 failed_auth: FailedAuthentication | None = None,
                 websocket_limits: WebSocketLimits | None = None,
                 vault: PersonalDataVault | None = None,
                 case_feed: CaseFeed | None = None,
                 event_flow: EventFlowSubmitter | None = None) -> None:
        websocket_limits = websocket_limits or WebSocketLimits()
        super().__init__(schema, graphql_ide="graphiql", allow_queries_via_get=True,
                         subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,),
                         connection_init_wait_timeout=timedelta(
                             seconds=websocket_limits.init_timeout_s),
                         max_subscriptions_per_connection=None)  # the handler's, with a code
        self._graph = graph
        self._records = records
        self._inline_reads = reads_in_place(graph, records)
        self.loop_walker: LoopWalker | None = None
        self._alert_feed = alert_feed
        self._case_feed = case_feed
        self._default_currency = default_currency
        self._vault = vault
        self._event_flow = event_flow
        self._limits = limits or RequestLimits()
        self._admission = admission
        self._verifier = verifier
        self._metrics = metrics or ApiMetrics()
        self._audit = None if audit is None else CountingAuditSink(audit, self._metrics)
        self._rate_limiter = rate_limiter
        self._failed_auth = failed_auth
        self._ide_html = graphiql_html()
        self.websocket_gate = WebSocketGate(
            connections=WebSocketConnections(websocket_limits), verifier=verifier,
            metrics=self._metrics, failed_auth=failed_auth,
            documents=getattr(schema, "persisted_documents", None))

    def __repr__(self) -> str:
        return f"GraphQLView(graph={self._graph!r}, limits={self._limits!r})"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            await self._websocket(scope, receive, send)
            return
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        try:
            body = await read_body(scope, receive, self._limits.max_request_bytes)
        except Disconnected:
            return
        except HTTPException as exc:
            await self._rejection(Request(scope), exc)(scope, receive, send)
            return
        request = Request(scope, replaying(body, receive))
        if self.should_render_graphql_ide(self.request_adapter_class(request)):
            await (await self.render_graphql_ide(request))(scope, receive, send)
            return
        try:
            principal = await authenticate(request.headers.get("authorization"),
                                           self._verifier)
        except InvalidToken as refused:
            await (await self._unauthenticated(request, refused))(scope, receive, send)
            return
        note_for_log(scope, client_id=principal.client_id, user=principal.user or "")
        if self._rate_limiter is not None:
            verdict = await self._rate_limiter.hit(principal.client_id)
            send = with_headers(send, verdict.headers())
            if not verdict.allowed:
                await self._rate_limited(request, verdict)(scope, receive, send)
                return
        self._metrics.in_flight.inc()
        try:
            response = await self._run_limited(request, receive, principal)
        finally:
            self._metrics.in_flight.dec()
        if response is not None:
            await response(scope, receive, send)

    async def _websocket(self, scope: Scope, receive: Receive, send: Send) -> None:
        """A WebSocket authenticated by its header now, or by ``connection_init`` later
        (:meth:`on_ws_connect`); a header with a token the verifier refuses closes it."""
        authorization = WebSocket(scope, receive, send).headers.get("authorization")
        if authorization is not None:
            try:
                principal = await authenticate(authorization, self._verifier)
            except InvalidToken as refused:
                self._metrics.rejected.labels(ErrorCode.UNAUTHENTICATED.value).inc()
                logger.info("WebSocket refused: %s", refused.message)
                if (await receive())["type"] == "websocket.connect":
                    await refuse_handshake(scope, send,
                                           await self._failed_attempt(scope, "websocket"))
                return
            note_for_log(scope, client_id=principal.client_id, user=principal.user or "")
            scope["state"]["principal"] = principal
        await super().__call__(scope, receive, send)

    async def on_ws_connect(self, context: Context) -> UnsetType | dict[str, object] | None:
        """Accept a ``connection_init``: :class:`api.websocket_handler.TransportWSHandler`
        authenticated it (from its header or payload) and counted it before this hook.

        Raises:
            ConnectionRejectionError: no caller (closes 4403; not reached through that
                handler).
        """
        if context.principal is None:
            raise ConnectionRejectionError({"message": "no access token"})
        return UNSET

    async def _failed_attempt(self, scope: Scope, transport: str) -> int | None:
        """Count a request of ``scope`` without a valid token; the seconds its address must
        wait when it failed too often, else ``None``."""
        if self._failed_auth is None:
            return None
        wait = await self._failed_auth.refused(client_address(scope))
        if wait is not None:
            self._metrics.auth_throttled.labels(transport).inc()
        return wait

    async def _unauthenticated(self, request: Request, refused: InvalidToken) -> Response:
        """401 (400 for a malformed header) with the RFC 6750 challenge; 429 with
        ``Retry-After`` once the request's address failed too often."""
        wait = await self._failed_attempt(request.scope, "http")
        if wait is not None:
            self._metrics.rejected.labels(ErrorCode.RATE_LIMITED.value).inc()
            return throttled_response(wait, response_media_type(
                request.headers.get("accept", "")))
        self._metrics.rejected.labels(ErrorCode.UNAUTHENTICATED.value).inc()
        status = 400 if refused.error == "invalid_request" else 401
        media_type = response_media_type(request.headers.get("accept", ""))
        code = ErrorCode.BAD_REQUEST if status == 400 else ErrorCode.UNAUTHENTICATED
        return Response(self.encode_json(error_body(refused.message, code)),
                        status_code=status, media_type=media_type,
                        headers={"www-authenticate": bearer_challenge(refused)})

    def _rate_limited(self, request: Request, verdict: Verdict) -> Response:
        self._metrics.rejected.labels(ErrorCode.RATE_LIMITED.value).inc()
        media_type = response_media_type(request.headers.get("accept", ""))
        message = (f"this client sent more than {verdict.limit} requests in "
                   f"{verdict.window_s} s: retry in {max(verdict.reset_s, 1)} s")
        return Response(self.encode_json(error_body(message, ErrorCode.RATE_LIMITED)),
                        status_code=429, media_type=media_type)

    async def _run_limited(self, request: Request, receive: Receive,
                           principal: Principal) -> Response | None:
        """Run ``request`` within the time limit; ``None`` when the client went away."""
        limit = self._limits.time_limit_s
        control = QueryControl(time_limit_s=limit, admission=self._admission)
        work = asyncio.ensure_future(self._run_or_reject(request, control, principal))
        watch = asyncio.ensure_future(watch_disconnect(receive))
        try:
            done, _ = await asyncio.wait({work, watch}, timeout=limit,
                                         return_when=asyncio.FIRST_COMPLETED)
        except asyncio.CancelledError:  # the server is shutting down: take the work along
            control.stop(QueryCancelled("the server is shutting down"))
            work.cancel()
            raise
        finally:
            watch.cancel()
        if work in done:
            return work.result()
        gone = watch in done
        control.stop(QueryCancelled("the client disconnected") if gone else timed_out(limit))
        work.cancel()
        await asyncio.wait({work})  # let it unwind: turns released, walks told to stop
        if gone:
            logger.info("client of %s %s disconnected; its query was stopped",
                        request.method, request.url.path)
            return None
        logger.info("%s %s ran past its time limit of %g s; its query was stopped",
                    request.method, request.url.path, limit)
        self._metrics.timeouts.inc()
        return self._rejection(request, HTTPException(504, str(control.reason)),
                               ErrorCode.QUERY_TIMEOUT, well_formed=True)

    def _context(self, scope: Scope, principal: Principal | None,
                 control: QueryControl | None = None) -> Context:
        return build_context(self._graph, control, principal=principal, records=self._records,
                             audit=self._audit, request_id=request_id_of(scope),
                             source=client_address(scope), alert_feed=self._alert_feed,
                             default_currency=self._default_currency,
                             inline_reads=self._inline_reads, vault=self._vault,
                             loop_walker=self.loop_walker,
                             case_feed=self._case_feed, event_flow=self._event_flow)

    async def _run_or_reject(self, request: Request, control: QueryControl,
                             principal: Principal) -> Response:
        try:
            return await self.run(request, context=self._context(request.scope, principal,
                                                                 control))
        except HTTPException as exc:
            return self._rejection(request, exc)
        except AuditError as exc:
            # What was read cannot be recorded (the trail's backlog is full, or it is
            # closing): the answer is withheld rather than served unaudited. Strawberry
            # turns the extension's exception into an error of the result, which
            # _raise_unaudited raises again.
            logger.error("audit trail refused the events of %s %s: %s", request.method,
                         request.url.path, exc)
            return self._rejection(request, HTTPException(
                503, "the audit trail cannot record this request now, so its answer is "
                     "withheld; retry shortly"), ErrorCode.SERVER_BUSY)

    def _rejection(self, request: Request, exc: HTTPException, code: ErrorCode | None = None,
                   *, well_formed: bool = False) -> Response:
        """A GraphQL response for a request rejected before or instead of executing.

        Args:
            code: the error's code (by default from the status: 405, 413, else 400).
            well_formed: the request was a well-formed GraphQL request (a time limit):
                ``application/json`` gets 200, as for any GraphQL response.
        """
        code = code or CODE_OF_REJECTED_STATUS.get(exc.status_code, ErrorCode.BAD_REQUEST)
        self._metrics.rejected.labels(code.value).inc()
        media_type = response_media_type(request.headers.get("accept", ""))
        status = exc.status_code
        if well_formed and media_type == JSON_MEDIA_TYPE:
            status = 200
        headers = {"allow": "GET, POST"} if exc.status_code == 405 else None
        return Response(self.encode_json(error_body(exc.reason, code)), status_code=status,
                        media_type=media_type, headers=headers)

    async def get_context(self, request: Request | WebSocket, response: Response | WebSocket
                          ) -> Context:
        """The context of a WebSocket connection (HTTP requests get theirs in
        :meth:`_run_or_reject`): its caller when its header authenticated it."""
        principal = request.scope.get("state", {}).get("principal")
        return self._context(request.scope, principal)

    async def parse_http_body(self, request: AsyncHTTPRequestAdapter
                              ) -> GraphQLRequestData | list[GraphQLRequestData]:
        """The request, with a persisted document's ``documentId`` (Relay, GraphQL over
        HTTP) moved into ``extensions``, where :mod:`schema.persisted` reads it beside
        Apollo's ``persistedQuery``."""
        data = await super().parse_http_body(request)
        if isinstance(data, list) or data.query is not None:
            return data
        if request.method == "GET":
            document_id: object = request.query_params.get("documentId")
        else:
            body = self.parse_json(await request.get_body())
            document_id = body.get("documentId") if isinstance(body, dict) else None
        if document_id is not None:
            data.extensions = {**(data.extensions or {}), "documentId": document_id}
        return data

    async def render_graphql_ide(self, request: Request) -> Response:
        return HTMLResponse(self._ide_html)

    def encode_json(self, data: object) -> str:
        """JSON text of ``data`` by orjson (several times faster than the standard library
        on a large answer), UTF-8 rather than ``\\u`` escapes; anything orjson cannot write
        (an integer past 64 bits) falls back to the standard library. Text, not bytes:
        WebSocket messages must go out as text frames."""
        return encode_json_text(data)

    def decode_json(self, data: str | bytes) -> object:
        """JSON in UTF-8, as GraphQL over HTTP requires; other bytes are the client's error.

        Raises:
            HTTPException: 400 naming the first byte that is not UTF-8.
        """
        return decode_json_body(data)

    async def execute_single(
        self,
        request: Request,
        request_adapter: AsyncHTTPRequestAdapter,
        sub_response: Response,
        context: Context,
        root_value: None,
        request_data: GraphQLRequestData,
    ) -> ExecutionResult:
        """Execute one operation. Strawberry's own version answers a mutation over GET with
        400 and an unknown ``operationName`` with plain text; the specification wants 405
        for the first, and a GraphQL request error for the second."""
        started = time.perf_counter()
        try:
            result = await self.schema.execute(
                request_data.query,
                root_value=root_value,
                variable_values=request_data.variables,
                context_value=context,
                operation_name=request_data.operation_name,
                allowed_operation_types=OperationType.from_http(request_adapter.method),
                operation_extensions=request_data.extensions,
            )
            self._observe(request, context.operation_name or request_data.operation_name,
                          started, result)
            _raise_unaudited(result)
            return result
        except InvalidOperationTypeError as exc:
            raise HTTPException(405, f"{exc.as_http_error_reason(request_adapter.method)}: "
                                     "send mutations with POST") from exc
        except CannotGetOperationTypeError as exc:
            error = GraphQLError(f"the document has no operation named "
                                 f"{request_data.operation_name!r}",
                                 extensions={"code": ErrorCode.BAD_REQUEST.value},
                                 original_error=exc)
            return ExecutionResult(data=None, errors=[error])
        except MissingQueryError as exc:
            raise HTTPException(400, "no GraphQL query in the request: send "
                                     '{"query": "..."} as JSON, or ?query=... with GET') from exc

    def _observe(self, request: Request, operation: str | None, started: float,
                 result: ExecutionResult) -> None:
        codes = [str((error.extensions or {}).get("code", "")) for error in result.errors or []]
        self._metrics.observe_request(operation, time.perf_counter() - started, codes)
        if result.data is None and codes:
            for code in codes:
                self._metrics.rejected.labels(code).inc()
        note_for_log(request.scope, operation=operation or "")

    async def get_sub_response(self, request: Request | WebSocket) -> Response:
        sub_response = await super().get_sub_response(request)
        sub_response.media_type = response_media_type(request.headers.get("accept", ""))
        return sub_response

    async def process_result(self, request: Request, result: ExecutionResult
                             ) -> GraphQLHTTPResponse:
        response = await super().process_result(request, result)
        request_error = result.data is None and bool(result.errors) and all(
            error.path is None for error in result.errors or [])
        if request_error and response_media_type(
                request.headers.get("accept", "")) == GRAPHQL_RESPONSE_MEDIA_TYPE:
            # A request error has no data entry at all, not a null one.
            response.pop("data", None)
        return response

    def create_response(self, response_data: GraphQLHTTPResponse | list[GraphQLHTTPResponse],
                        sub_response: Response) -> Response:
        response = super().create_response(response_data, sub_response)
        media_type = sub_response.media_type or JSON_MEDIA_TYPE
        response.headers["content-type"] = media_type
        rejected = isinstance(response_data, dict) and response_data.get("data") is None
        if not rejected:
            return response
        extensions = [error.get("extensions") or {}
                      for error in response_data.get("errors") or []]  # type: ignore[union-attr]
        codes = [extension.get("code", "") for extension in extensions]
        if ErrorCode.FORBIDDEN.value in codes:
            # RFC 6750: a token lacking what the request needs is refused with 403 and
            # insufficient_scope, whatever media type the client accepts.
            right = next(e.get("right") for e in extensions
                         if e.get("code") == ErrorCode.FORBIDDEN.value)
            response.status_code = 403
            if right in Right.__members__.values():
                response.headers["www-authenticate"] = bearer_challenge(
                    insufficient=Right(right))
        elif media_type == GRAPHQL_RESPONSE_MEDIA_TYPE and not sub_response.status_code \
                and "data" not in response_data:
            response.status_code = request_error_status(codes)
        return response
