"""The ``/graphql`` endpoint: Strawberry's ASGI view, given our context and GraphiQL page.

It follows GraphQL over HTTP: POST with a JSON body or GET with query parameters (GET
cannot run mutations), GraphiQL for a browser's GET. A client that accepts
``application/graphql-response+json`` gets that media type, and a status of 400 when the
request itself was rejected (parse or validation errors: no ``data``); with plain
``application/json`` the status is 200 whenever a GraphQL response is returned.
"""

from __future__ import annotations

from typing import Final

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.http import GraphQLHTTPResponse
from strawberry.types.execution import ExecutionResult, PreExecutionError

from api.graphiql import graphiql_html
from graph.store import GraphStore
from schema import Context, LoanwatchSchema, build_context

__all__ = ["GRAPHQL_RESPONSE_MEDIA_TYPE", "GraphQLView"]

GRAPHQL_RESPONSE_MEDIA_TYPE: Final = "application/graphql-response+json"
_JSON_MEDIA_TYPE: Final = "application/json"


def _wants_graphql_response(request: Request | WebSocket) -> bool:
    return GRAPHQL_RESPONSE_MEDIA_TYPE in request.headers.get("accept", "")


class GraphQLView(GraphQL[Context, None]):
    """Serve ``schema`` over ``graph``; each request gets a fresh :class:`schema.Context`."""

    def __init__(self, schema: LoanwatchSchema, graph: GraphStore) -> None:
        super().__init__(schema, graphql_ide="graphiql", allow_queries_via_get=True)
        self._graph = graph
        self._ide_html = graphiql_html()

    def __repr__(self) -> str:
        return f"GraphQLView(graph={self._graph!r})"

    async def get_context(self, request: Request | WebSocket, response: Response | WebSocket
                          ) -> Context:
        return build_context(self._graph)

    async def render_graphql_ide(self, request: Request) -> Response:
        return HTMLResponse(self._ide_html)

    async def get_sub_response(self, request: Request | WebSocket) -> Response:
        sub_response = await super().get_sub_response(request)
        sub_response.media_type = (
            GRAPHQL_RESPONSE_MEDIA_TYPE if _wants_graphql_response(request) else _JSON_MEDIA_TYPE
        )
        return sub_response

    async def process_result(self, request: Request, result: ExecutionResult
                             ) -> GraphQLHTTPResponse:
        response = await super().process_result(request, result)
        if isinstance(result, PreExecutionError) and _wants_graphql_response(request):
            # A rejected request has no data entry at all, not a null one.
            response.pop("data", None)
        return response

    def create_response(self, response_data: GraphQLHTTPResponse | list[GraphQLHTTPResponse],
                        sub_response: Response) -> Response:
        response = super().create_response(response_data, sub_response)
        media_type = sub_response.media_type or _JSON_MEDIA_TYPE
        response.headers["content-type"] = media_type
        rejected = isinstance(response_data, dict) and "data" not in response_data
        if media_type == GRAPHQL_RESPONSE_MEDIA_TYPE and rejected and not sub_response.status_code:
            response.status_code = 400
        return response
