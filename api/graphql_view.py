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
  execute.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

import orjson
from cross_web import AsyncHTTPRequestAdapter, HTTPException
from graphql import GraphQLError
from sqlalchemy import Engine
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.types import Message, Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import MissingQueryError
from strawberry.http import GraphQLHTTPResponse, GraphQLRequestData
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError
from strawberry.types.execution import ExecutionResult
from strawberry.types.graphql import OperationType

from api.graphiql import graphiql_html
from api.http_status import (
    GRAPHQL_RESPONSE_MEDIA_TYPE,
    JSON_MEDIA_TYPE,
    request_error_status,
    response_media_type,
)
from graph.store import GraphStore
from schema import Context, ErrorCode, LoanwatchSchema, build_context
from schema.control import Admission, QueryControl, admit_everything, timed_out
from schema.errors import QueryCancelled

__all__ = [
    "DEFAULT_MAX_REQUEST_BYTES",
    "DEFAULT_QUERY_TIME_LIMIT_S",
    "GRAPHQL_RESPONSE_MEDIA_TYPE",
    "GraphQLView",
    "RequestLimits",
]

#: Largest GraphQL request body (or GET query string); the token limit bounds the
#: document well below this.
DEFAULT_MAX_REQUEST_BYTES: Final = 64 * 1024
#: Seconds one request may take, waiting for a turn included.
DEFAULT_QUERY_TIME_LIMIT_S: Final = 15.0

#: The code of a rejected HTTP request, by status.
_CODE_OF_STATUS: Final[Mapping[int, ErrorCode]] = {
    405: ErrorCode.METHOD_NOT_ALLOWED,
    413: ErrorCode.PAYLOAD_TOO_LARGE,
}

logger = logging.getLogger(__name__)


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


class _Disconnected(Exception):
    """The client went away while its request was read."""


def _too_large(limit: int, what: str) -> HTTPException:
    return HTTPException(413, f"the {what} is larger than the limit of {limit:,} bytes")


async def _read_body(scope: Scope, receive: Receive, limit: int) -> bytes:
    """The whole request body, refused past ``limit`` bytes.

    Raises:
        HTTPException: 413 past the limit (the query string of a GET too), 400 for a
            malformed Content-Length.
        _Disconnected: the client went away first.
    """
    if len(scope.get("query_string", b"")) > limit:
        raise _too_large(limit, "query string")
    declared = Request(scope).headers.get("content-length")
    if declared is not None:
        if not declared.strip().isdigit():
            raise HTTPException(400, f"Content-Length {declared!r} is not a number of bytes")
        if int(declared) > limit:
            raise _too_large(limit, "request body")
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise _Disconnected
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise _too_large(limit, "request body")
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


def _replaying(body: bytes, receive: Receive) -> Receive:
    """A ``receive`` that hands out ``body`` once, then waits on the real one."""
    pending = True

    async def replay() -> Message:
        nonlocal pending
        if pending:
            pending = False
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


async def _disconnect(receive: Receive) -> None:
    """Return when the client disconnects (call once the body has been read)."""
    while (await receive())["type"] != "http.disconnect":
        pass


def _error_body(message: str, code: ErrorCode) -> dict[str, Any]:
    return {"errors": [{"message": message, "extensions": {"code": code.value}}]}


class GraphQLView(GraphQL[Context, None]):
    """Serve ``schema`` over ``graph``; each request gets a fresh :class:`schema.Context`.

    Args:
        limits: body size and time limit of one request.
        admission: the gate heavy queries pass before executing.
    """

    def __init__(self, schema: LoanwatchSchema, graph: GraphStore, *,
                 limits: RequestLimits | None = None,
                 admission: Admission = admit_everything,
                 records: Engine | None = None) -> None:
        super().__init__(schema, graphql_ide="graphiql", allow_queries_via_get=True)
        self._graph = graph
        self._records = records
        self._limits = limits or RequestLimits()
        self._admission = admission
        self._ide_html = graphiql_html()

    def __repr__(self) -> str:
        return f"GraphQLView(graph={self._graph!r}, limits={self._limits!r})"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        try:
            body = await _read_body(scope, receive, self._limits.max_request_bytes)
        except _Disconnected:
            return
        except HTTPException as exc:
            await self._rejection(Request(scope), exc)(scope, receive, send)
            return
        request = Request(scope, _replaying(body, receive))
        response = await self._run_limited(request, receive)
        if response is not None:
            await response(scope, receive, send)

    async def _run_limited(self, request: Request, receive: Receive) -> Response | None:
        """Run ``request`` within the time limit; ``None`` when the client went away."""
        limit = self._limits.time_limit_s
        control = QueryControl(time_limit_s=limit, admission=self._admission)
        work = asyncio.ensure_future(self._run_or_reject(request, control))
        watch = asyncio.ensure_future(_disconnect(receive))
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
        return self._rejection(request, HTTPException(504, str(control.reason)),
                               ErrorCode.QUERY_TIMEOUT, well_formed=True)

    async def _run_or_reject(self, request: Request, control: QueryControl) -> Response:
        try:
            return await self.run(request, context=build_context(
                self._graph, control, records=self._records))
        except HTTPException as exc:
            return self._rejection(request, exc)

    def _rejection(self, request: Request, exc: HTTPException, code: ErrorCode | None = None,
                   *, well_formed: bool = False) -> Response:
        """A GraphQL response for a request rejected before or instead of executing.

        Args:
            code: the error's code (by default from the status: 405, 413, else 400).
            well_formed: the request was a well-formed GraphQL request (a time limit):
                ``application/json`` gets 200, as for any GraphQL response.
        """
        code = code or _CODE_OF_STATUS.get(exc.status_code, ErrorCode.BAD_REQUEST)
        media_type = response_media_type(request.headers.get("accept", ""))
        status = exc.status_code
        if well_formed and media_type == JSON_MEDIA_TYPE:
            status = 200
        headers = {"allow": "GET, POST"} if exc.status_code == 405 else None
        return Response(self.encode_json(_error_body(exc.reason, code)), status_code=status,
                        media_type=media_type, headers=headers)

    async def get_context(self, request: Request | WebSocket, response: Response | WebSocket
                          ) -> Context:
        return build_context(self._graph, records=self._records)

    async def render_graphql_ide(self, request: Request) -> Response:
        return HTMLResponse(self._ide_html)

    def encode_json(self, data: object) -> str:
        """JSON text of ``data`` by orjson (several times faster than the standard library
        on a large answer), UTF-8 rather than ``\\u`` escapes; anything orjson cannot write
        (an integer past 64 bits) falls back to the standard library. Text, not bytes:
        WebSocket messages must go out as text frames."""
        try:
            return orjson.dumps(data).decode()
        except TypeError:
            return json.dumps(data, separators=(",", ":"))

    def decode_json(self, data: str | bytes) -> object:
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
        try:
            return await self.schema.execute(
                request_data.query,
                root_value=root_value,
                variable_values=request_data.variables,
                context_value=context,
                operation_name=request_data.operation_name,
                allowed_operation_types=OperationType.from_http(request_adapter.method),
                operation_extensions=request_data.extensions,
            )
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
        rejected = isinstance(response_data, dict) and "data" not in response_data
        if media_type == GRAPHQL_RESPONSE_MEDIA_TYPE and rejected and not sub_response.status_code:
            codes = [(error.get("extensions") or {}).get("code", "")
                     for error in response_data.get("errors") or []]  # type: ignore[union-attr]
            response.status_code = request_error_status(codes)
        return response
