"""The Starlette application: GraphQL, liveness and readiness, metrics, nothing global.

Example::

    app = create_app(settings, graph, engine, verifier=verifier, audit=trail)
    uvicorn.run(app, host="127.0.0.1", port=8000)
"""

from __future__ import annotations

import logging
from typing import Final

from sqlalchemy import Engine
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles

from api.admission import HeavyQueryGate
from api.bearer import RefuseEveryToken
from api.graphiql import GRAPHIQL_ASSETS_DIR, GRAPHIQL_ASSETS_PATH
from api.graphql_view import DEFAULT_MAX_REQUEST_BYTES, GraphQLView, RequestLimits
from api.health import healthz, ping_engine, readiness_endpoint
from api.metrics import ApiMetrics, TimedStore
from api.rate_limit import ClientRateLimiter
from api.request_log import RequestLog
from auth.audit_events import AuditSink
from auth.principal import TokenVerifier
from graph.store import GraphStore
from loanwatch.settings import Settings
from schema import QueryLimits, build_schema

__all__ = ["GRAPHQL_PATH", "HEALTHZ_PATH", "MAX_GRAPHQL_BODY_BYTES", "METRICS_PATH",
           "READYZ_PATH", "create_app"]

GRAPHQL_PATH: Final = "/graphql"
METRICS_PATH: Final = "/metrics"
HEALTHZ_PATH: Final = "/healthz"
READYZ_PATH: Final = "/readyz"
#: Largest GraphQL request body, or query string of a GET.
MAX_GRAPHQL_BODY_BYTES: Final = DEFAULT_MAX_REQUEST_BYTES


def create_app(
    settings: Settings,
    graph: GraphStore,
    engine: Engine,
    *,
    limits: QueryLimits | None = None,
    verifier: TokenVerifier | None = None,
    audit: AuditSink | None = None,
    rate_limiter: ClientRateLimiter | None = None,
) -> Starlette:
    """The Loanwatch API over ``graph`` and ``engine``, which the caller opens and closes.

    The heavy-query gate is kept as ``app.state.heavy_queries``
    (:class:`api.admission.HeavyQueryGate`), the metrics as ``app.state.metrics``
    (:class:`api.metrics.ApiMetrics`, served at ``/metrics``), the rate limiter as
    ``app.state.rate_limiter``.

    Args:
        settings: ``environment == "production"`` masks unexpected errors and hides the
            reasons of failed readiness checks; ``query_max_cost``, ``query_time_limit_s``
            and the ``heavy_query_*`` settings limit each request.
        graph: the graph store every GraphQL request reads.
        engine: the SQL engine of the relational records (pinged by ``/readyz``).
        limits: depth, alias, token and cost limits of a GraphQL document (by default the
            defaults, with ``settings.query_max_cost``).
        verifier: checks the bearer token of every GraphQL request; without one, every
            request is refused (401), so an API wired without it exposes nothing.
        audit: where reads of personal data in clear and refusals go (``None``: they are
            not recorded; production passes the audit trail).
        rate_limiter: each client's request budget (by default from
            ``settings.rate_limit`` and ``settings.rate_limit_storage``).

    Raises:
        ConfigurationError: the rate-limit settings are malformed.
    """
    production = settings.environment == "production"
    if verifier is None:
        logging.getLogger(__name__).warning(
            "the API has no token verifier: every GraphQL request will be refused (401)")
    metrics = ApiMetrics()
    rate_limiter = rate_limiter or ClientRateLimiter.from_strings(
        settings.rate_limit, settings.rate_limit_storage)
    schema = build_schema(mask_errors=production, introspection=not production,
                          limits=limits or QueryLimits(max_cost=settings.query_max_cost))
    gate = HeavyQueryGate(heavy_cost=settings.heavy_query_cost,
                          slots=settings.heavy_query_slots, wait_s=settings.heavy_query_wait_s)
    readyz = readiness_endpoint(
        {"graph": graph.ping, "database": ping_engine(engine)}, show_reasons=not production,
        load=gate.saturation,
    )
    view = GraphQLView(
        schema, TimedStore(graph, metrics),  # type: ignore[arg-type]  # a GraphStore proxy
        verifier=verifier or RefuseEveryToken(), admission=gate, records=engine,
        audit=audit, rate_limiter=rate_limiter, metrics=metrics,
        limits=RequestLimits(max_request_bytes=MAX_GRAPHQL_BODY_BYTES,
                             time_limit_s=settings.query_time_limit_s),
    )

    async def metrics_endpoint(request: Request) -> Response:
        body, media_type = metrics.exposition()
        return Response(body, media_type=media_type)

    routes = [
        Route(GRAPHQL_PATH, view, name="graphql"),
        WebSocketRoute(GRAPHQL_PATH, view, name="graphql-ws"),
        Route(HEALTHZ_PATH, healthz, name="healthz"),
        Route(READYZ_PATH, readyz, name="readyz"),
        Route(METRICS_PATH, metrics_endpoint, name="metrics"),
        Mount(GRAPHIQL_ASSETS_PATH, StaticFiles(directory=GRAPHIQL_ASSETS_DIR),
              name="graphiql-assets"),
    ]
    app = Starlette(debug=False, routes=routes, middleware=[Middleware(RequestLog)])
    app.state.heavy_queries = gate
    app.state.metrics = metrics
    app.state.rate_limiter = rate_limiter
    return app
