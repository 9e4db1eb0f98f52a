"""The Starlette application: GraphQL, liveness and readiness, metrics, nothing global.

Example::

    app = create_app(settings, graph, engine, verifier=verifier, audit=trail)
    uvicorn.run(app, host="127.0.0.1", port=8000)
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Final, cast

from authlib.common.security import is_secure_transport
from sqlalchemy import Engine
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles

from api.admission import HeavyQueryGate
from api.failed_auth import FailedAuthentication
from api.graphiql import GRAPHIQL_ASSETS_DIR, GRAPHIQL_ASSETS_PATH
from api.graphql_view import DEFAULT_MAX_REQUEST_BYTES, GraphQLView, RequestLimits
from api.health import healthz, ping_engine, readiness_endpoint
from api.metrics import ApiMetrics, TimedStore, TimedWalker
from api.oauth import oauth_routes
from api.rate_limit import ClientRateLimiter
from api.request_log import RequestLog
from api.websocket_limits import WebSocketLimits
from auth.audit_events import AuditSink
from auth.authorization_server import OAuthServer, OAuthSettings
from auth.logging_sink import LoggingAuditSink
from auth.principal import TokenVerifier
from auth.server_factory import open_oauth_server
from graph.data_keys import KeyRing
from graph.resealing import ResealableGraph
from graph.store import GraphStore
from graph.vault import PersonalDataVault
from jobs.event_submission import EventFlowSubmitter
from loanwatch.errors import ConfigurationError
from loanwatch.settings import Settings
from portfolio.persisted_documents import find_documents
from risk.alerts.feed import AlertFeed, LocalAlertFeed, feed_for_broker
from risk.collections.feed import CaseFeed, LocalCaseFeed, case_feed_for_broker
from schema import QueryLimits, build_schema
from schema.loaders import reads_in_place
from schema.persisted import DocumentLookup

__all__ = ["GRAPHQL_PATH", "HEALTHZ_PATH", "MAX_GRAPHQL_BODY_BYTES", "METRICS_PATH",
           "READYZ_PATH", "create_app", "oauth_server_from_settings"]

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
    oauth: OAuthServer | None = None,
    verifier: TokenVerifier | None = None,
    audit: AuditSink | None = None,
    alert_feed: AlertFeed | None = None,
    rate_limiter: ClientRateLimiter | None = None,
    case_feed: CaseFeed | None = None,
    event_flow: EventFlowSubmitter | None = None,
) -> Starlette:
    """The Loanwatch API over ``graph`` and ``engine``, which the caller opens and closes.

    The heavy-query gate is kept as ``app.state.heavy_queries``
    (:class:`api.admission.HeavyQueryGate`), the metrics as ``app.state.metrics``
    (:class:`api.metrics.ApiMetrics`, served at ``/metrics``), the rate limiter as
    ``app.state.rate_limiter``, the WebSocket counts as ``app.state.websockets``
    (:class:`api.websocket_limits.WebSocketConnections`).

    Args:
        settings: ``environment == "production"`` masks unexpected errors and hides the
            reasons of failed readiness checks; ``query_max_cost``, ``query_time_limit_s``
            and the ``heavy_query_*`` settings limit each request.
        graph: the graph store every GraphQL request reads.
        engine: the SQL engine of the relational records (pinged by ``/readyz``).
        limits: depth, alias, token and cost limits of a GraphQL document (by default the
            defaults, with ``settings.query_max_cost``).
        oauth: the OAuth authorization server mounted at ``/oauth`` and ``/.well-known``
            (kept as ``app.state.oauth``); by default one on ``engine`` configured by the
            ``oauth_*`` settings.
        verifier: checks the bearer token of every GraphQL request (by default the OAuth
            server's: the JWT access tokens it issues, revocation checked).
        audit: where audit events go: reads of personal data in clear, refusals, and the
            OAuth server's logins and tokens when it is built here (by default the
            ``loanwatch.audit`` logger; ``loanwatch serve`` passes the audit trail).
        alert_feed: where alert changes are announced and heard (by default: through Redis
            pub/sub when ``settings.broker_url`` is a Redis URL, else within this process);
            kept as ``app.state.alert_feed`` and closed when the app shuts down.
        rate_limiter: each client's request budget (by default from
            ``settings.rate_limit`` and ``settings.rate_limit_storage``).
        case_feed: where collection-case changes are announced and heard (by default as
            the alert feed: Redis pub/sub with a Redis broker, else this process); kept as
            ``app.state.case_feed`` and closed when the app shuts down.
        event_flow: submits the flow of each event recorded through the API (re-scoring
            its neighbourhood: :mod:`risk.flow`); ``None``: recorded events start no flow.

    Requests without a valid token are throttled per address as
    ``settings.auth_failure_limit`` says (counted in ``settings.rate_limit_storage``), and
    WebSockets limited by the ``ws_*`` settings.

    Raises:
        ConfigurationError: the rate-limit or failure-limit settings are malformed.
    """
    production = settings.environment == "production"
    audit = audit if audit is not None else LoggingAuditSink()
    # The keys the graph store was opened with (``loanwatch serve``: the configured ones).
    # The class is asked, not isinstance(graph, ResealableGraph): the protocol check takes
    # a property that fails for one the store lacks, and would quietly seal with other keys.
    vault = (cast(ResealableGraph, graph).vault if hasattr(type(graph), "vault")
             else vault_from_settings(settings))
    if oauth is None:
        oauth = oauth_server_from_settings(settings, engine, audit, vault=vault)
    metrics = ApiMetrics()
    rate_limiter = rate_limiter or ClientRateLimiter.from_strings(
        settings.rate_limit, settings.rate_limit_storage)
    schema = build_schema(mask_errors=production, introspection=not production,
                          limits=limits or QueryLimits(max_cost=settings.query_max_cost),
                          documents=_registered_documents(engine),
                          only_registered_documents=settings.only_registered_documents)
    feed = alert_feed if alert_feed is not None else _alert_feed(settings)
    cases = case_feed if case_feed is not None else _case_feed(settings)
    gate = HeavyQueryGate(heavy_cost=settings.heavy_query_cost,
                          slots=settings.heavy_query_slots, wait_s=settings.heavy_query_wait_s,
                          one_light_at_a_time=reads_in_place(graph, engine))
    readyz = readiness_endpoint(
        {"graph": graph.ping, "database": ping_engine(engine)}, show_reasons=not production,
        load=gate.saturation,
    )
    view = GraphQLView(
        schema, TimedStore(graph, metrics),  # type: ignore[arg-type]  # a GraphStore proxy
        verifier=verifier or oauth.verifier, admission=gate, records=engine,
        audit=audit, rate_limiter=rate_limiter, metrics=metrics, alert_feed=feed,
        default_currency=settings.base_currency, vault=vault, case_feed=cases,
        event_flow=event_flow,
        limits=RequestLimits(max_request_bytes=MAX_GRAPHQL_BODY_BYTES,
                             time_limit_s=settings.query_time_limit_s),
        failed_auth=FailedAuthentication.from_strings(settings.auth_failure_limit,
                                                      settings.rate_limit_storage),
        websocket_limits=WebSocketLimits(
            max_connections=settings.ws_max_connections,
            max_connections_per_client=settings.ws_max_connections_per_client,
            max_subscriptions_per_connection=settings.ws_max_subscriptions_per_connection,
            init_timeout_s=settings.ws_connection_init_timeout_s,
            token_recheck_s=settings.ws_token_recheck_s),
    )

    async def metrics_endpoint(request: Request) -> Response:
        body, media_type = metrics.exposition()
        return Response(body, media_type=media_type)

    routes = [
        *oauth_routes(oauth),
        Route(GRAPHQL_PATH, view, name="graphql"),
        WebSocketRoute(GRAPHQL_PATH, view, name="graphql-ws"),
        Route(HEALTHZ_PATH, healthz, name="healthz"),
        Route(READYZ_PATH, readyz, name="readyz"),
        Route(METRICS_PATH, metrics_endpoint, name="metrics"),
        Mount(GRAPHIQL_ASSETS_PATH, StaticFiles(directory=GRAPHIQL_ASSETS_DIR),
              name="graphiql-assets"),
    ]
    revocations = oauth.stores.revocations

    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        # The revocation list listens to the other processes while the server runs.
        revocations.start()
        # Walks read on this loop where the store can (Neo4j's asynchronous driver).
        walker = graph.open_loop_walker()
        view.loop_walker = None if walker is None else TimedWalker(walker, metrics)
        try:
            yield
        finally:
            view.loop_walker = None
            if walker is not None:
                await walker.aclose()
            revocations.close()
            await feed.aclose()
            await cases.aclose()

    app = Starlette(debug=False, routes=routes, middleware=[Middleware(RequestLog)],
                    lifespan=lifespan)
    app.state.heavy_queries = gate
    app.state.oauth = oauth
    app.state.alert_feed = feed
    app.state.case_feed = cases
    app.state.metrics = metrics
    app.state.rate_limiter = rate_limiter
    app.state.websockets = view.websocket_gate.connections
    return app


def vault_from_settings(settings: Settings) -> PersonalDataVault:
    """The keys of personal data ``settings`` configure: they seal contact notes and the
    signing keys' private keys in SQL (as ``loanwatch.wiring.open_vault``, which the API,
    a sibling layer, does not import).

    Raises:
        ConfigurationError: a key is missing (production) or malformed.
    """
    return PersonalDataVault(KeyRing(settings.resolved_data_keys, settings.resolved_hash_keys))


def oauth_server_from_settings(settings: Settings, engine: Engine, audit: AuditSink, *,
                               vault: PersonalDataVault | None = None) -> OAuthServer:
    """The authorization server the ``oauth_*`` settings describe, on ``engine``; its
    signing keys sealed by ``vault`` (by default the one ``settings`` configure).

    Raises:
        ConfigurationError: the issuer (by default ``http://<host>:<port>``) is neither
            https nor http on a loopback address: OAuth needs TLS; a data key is missing
            or malformed.
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
        audit=audit, redis_url=settings.oauth_redis_url_value,
        sealer=vault if vault is not None else vault_from_settings(settings))


def _alert_feed(settings: Settings) -> AlertFeed:
    return feed_for_broker(settings.broker_url_value) or LocalAlertFeed()


def _case_feed(settings: Settings) -> CaseFeed:
    return case_feed_for_broker(settings.broker_url_value) or LocalCaseFeed()


def _registered_documents(engine: Engine) -> DocumentLookup:
    def lookup(sha256: str) -> str | None:
        return find_documents(engine, [sha256]).get(sha256)

    return lookup
