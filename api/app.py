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

from api.graphiql import GRAPHIQL_ASSETS_DIR, GRAPHIQL_ASSETS_PATH
from api.graphql_view import GraphQLView
from api.health import healthz, ping_engine, readiness_endpoint
from graph.store import GraphStore
from loanwatch.settings import Settings
from schema import QueryLimits, build_schema

__all__ = ["GRAPHQL_PATH", "HEALTHZ_PATH", "MAX_GRAPHQL_BODY_BYTES", "READYZ_PATH",
           "create_app"]

GRAPHQL_PATH: Final = "/graphql"
HEALTHZ_PATH: Final = "/healthz"
READYZ_PATH: Final = "/readyz"
#: Largest GraphQL request body; the token limit bounds the document well below this.
MAX_GRAPHQL_BODY_BYTES: Final = 64 * 1024


def create_app(
    settings: Settings,
    graph: GraphStore,
    engine: Engine,
    *,
    limits: QueryLimits | None = None,
) -> Starlette:
    """The Loanwatch API over ``graph`` and ``engine``, which the caller opens and closes.

    Args:
        settings: ``environment == "production"`` masks unexpected errors and hides the
            reasons of failed readiness checks.
        graph: the graph store every GraphQL request reads.
        engine: the SQL engine of the relational records (pinged by ``/readyz``).
        limits: depth, alias and token limits of a GraphQL document (defaults if omitted).
    """
    production = settings.environment == "production"
    schema = build_schema(mask_errors=production, limits=limits)
    readyz = readiness_endpoint(
        {"graph": graph.ping, "database": ping_engine(engine)}, show_reasons=not production
    )
    routes = [
        Route(GRAPHQL_PATH, GraphQLView(schema, graph), name="graphql",
              max_body_size=MAX_GRAPHQL_BODY_BYTES),
        Route(HEALTHZ_PATH, healthz, name="healthz"),
        Route(READYZ_PATH, readyz, name="readyz"),
        Mount(GRAPHIQL_ASSETS_PATH, StaticFiles(directory=GRAPHIQL_ASSETS_DIR),
              name="graphiql-assets"),
    ]
    return Starlette(debug=False, routes=routes)
