"""The Starlette application: GraphQL, liveness and readiness, nothing global.

Example::

    app = create_app(settings, graph, engine)
    uvicorn.run(app, host="127.0.0.1", port=8000)
"""

from __future__ import annotations

from typing import Final

from sqlalchemy import Engine
from starlette.applications import Starlette
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from api.admission import HeavyQueryGate
from api.graphiql import GRAPHIQL_ASSETS_DIR, GRAPHIQL_ASSETS_PATH
from api.graphql_view import DEFAULT_MAX_REQUEST_BYTES, GraphQLView, RequestLimits
from api.health import healthz, ping_engine, readiness_endpoint
from graph.store import GraphStore
from loanwatch.settings import Settings
from schema import QueryLimits, build_schema

__all__ = ["GRAPHQL_PATH", "HEALTHZ_PATH", "MAX_GRAPHQL_BODY_BYTES", "READYZ_PATH",
           "create_app"]

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
    routes = [
        Route(GRAPHQL_PATH, view, name="graphql"),
        Route(HEALTHZ_PATH, healthz, name="healthz"),
        Route(READYZ_PATH, readyz, name="readyz"),
        Mount(GRAPHIQL_ASSETS_PATH, StaticFiles(directory=GRAPHIQL_ASSETS_DIR),
              name="graphiql-assets"),
    ]
    app = Starlette(debug=False, routes=routes)
    app.state.heavy_queries = gate
    return app
