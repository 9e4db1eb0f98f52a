"""The Starlette application: GraphQL, liveness and readiness, nothing global.

Example::

    app = create_app(settings, graph, engine)
    uvicorn.run(app, host="127.0.0.1", port=8000)
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Final

from authlib.common.security import is_secure_transport
from sqlalchemy import Engine
from starlette.applications import Starlette
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from api.admission import HeavyQueryGate
from api.graphiql import GRAPHIQL_ASSETS_DIR, GRAPHIQL_ASSETS_PATH
from api.graphql_view import DEFAULT_MAX_REQUEST_BYTES, GraphQLView, RequestLimits
from api.health import healthz, ping_engine, readiness_endpoint
from api.oauth import oauth_routes
from auth.audit_events import AuditSink
from auth.authorization_server import OAuthServer, OAuthSettings
from auth.logging_sink import LoggingAuditSink
from auth.server_factory import open_oauth_server
from graph.store import GraphStore
from loanwatch.errors import ConfigurationError
from loanwatch.settings import Settings
from schema import QueryLimits, build_schema

__all__ = ["GRAPHQL_PATH", "HEALTHZ_PATH", "MAX_GRAPHQL_BODY_BYTES", "READYZ_PATH",
           "create_app", "oauth_server_from_settings"]

GRAPHQL_PATH: Final = "/graphql"
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
    oauth: OAuthServer | None = None,
    audit: AuditSink | None = None,
) -> Starlette:
    """The Loanwatch API over ``graph`` and ``engine``, which the caller opens and closes.

    The heavy-query gate is kept as ``app.state.heavy_queries``
    (:class:`api.admission.HeavyQueryGate`).

    Args:
        settings: ``environment == "production"`` masks unexpected errors and hides the
            reasons of failed readiness checks; ``query_max_cost``, ``query_time_limit_s``
            and the ``heavy_query_*`` settings limit each request.
        graph: the graph store every GraphQL request reads.
        engine: the SQL engine of the relational records (pinged by ``/readyz``).
        limits: depth, alias, token and cost limits of a GraphQL document (by default the
            defaults, with ``settings.query_max_cost``).
        oauth: the OAuth authorization server mounted at ``/oauth`` and ``/.well-known``
            (kept as ``app.state.oauth``; its ``verifier`` checks access tokens); by
            default one on ``engine`` configured by the ``oauth_*`` settings.
        audit: where the OAuth server's audit events go when it is built here (by default
            the ``loanwatch.audit`` logger).
    """
    production = settings.environment == "production"
    schema = build_schema(mask_errors=production,
                          limits=limits or QueryLimits(max_cost=settings.query_max_cost))
    gate = HeavyQueryGate(heavy_cost=settings.heavy_query_cost,
                          slots=settings.heavy_query_slots, wait_s=settings.heavy_query_wait_s)
    readyz = readiness_endpoint(
        {"graph": graph.ping, "database": ping_engine(engine)}, show_reasons=not production,
        load=gate.saturation,
    )
    view = GraphQLView(
        schema, graph, admission=gate, records=engine,
        limits=RequestLimits(max_request_bytes=MAX_GRAPHQL_BODY_BYTES,
                             time_limit_s=settings.query_time_limit_s),
    )
    if oauth is None:
        oauth = oauth_server_from_settings(settings, engine, audit or LoggingAuditSink())
    routes = [
        *oauth_routes(oauth),
        Route(GRAPHQL_PATH, view, name="graphql"),
        Route(HEALTHZ_PATH, healthz, name="healthz"),
        Route(READYZ_PATH, readyz, name="readyz"),
        Mount(GRAPHIQL_ASSETS_PATH, StaticFiles(directory=GRAPHIQL_ASSETS_DIR),
              name="graphiql-assets"),
    ]
    revocations = oauth.stores.revocations

    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        # The revocation list listens to the other processes while the server runs.
        revocations.start()
        try:
            yield
        finally:
            revocations.close()

    app = Starlette(debug=False, routes=routes, lifespan=lifespan)
    app.state.heavy_queries = gate
    app.state.oauth = oauth
    return app


def oauth_server_from_settings(settings: Settings, engine: Engine,
                               audit: AuditSink) -> OAuthServer:
    """The authorization server the ``oauth_*`` settings describe, on ``engine``.

    Raises:
        ConfigurationError: the issuer (by default ``http://<host>:<port>``) is neither
            https nor http on a loopback address: OAuth needs TLS.
    """
    issuer = settings.resolved_oauth_issuer
    if not is_secure_transport(issuer):
        raise ConfigurationError(
            f"the OAuth issuer {issuer} is neither https nor http on a loopback address",
            suggestion="set LOANWATCH_OAUTH_ISSUER to the https:// URL clients reach "
                       "Loanwatch at (TLS may end in front of it)")
    return open_oauth_server(
        engine,
        OAuthSettings(issuer=issuer, audience=settings.oauth_audience,
                      access_token_ttl_s=settings.oauth_access_token_ttl_s,
                      refresh_token_ttl_s=settings.oauth_refresh_token_ttl_s),
        audit=audit, redis_url=settings.oauth_redis_url_value)
