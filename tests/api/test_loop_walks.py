"""Served as ``loanwatch serve`` serves it (uvicorn, start-up and shut-down run), the API
reads a view's walk on Neo4j through the asynchronous driver, on the event loop: the same
answer as through the store's synchronous driver in a worker thread, timed in ``/metrics``
as the store's walks are."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from functools import partial
from pathlib import Path

import pytest
from neo4j import AsyncGraphDatabase
from sqlalchemy import Engine

from loanwatch.migrations import migrate
from loanwatch.settings import Settings
from portfolio.database import create_sql_engine
from tests.api.apps import ANALYST_AUTH, api_app
from tests.api.client import ApiClient
from tests.api.server import serving
from tests.schema.sample import CountingNeo4jStore, load_sample
from tests.schema.test_view_walks import VIEW
from tests.services import NEO4J_URI, open_neo4j_store

pytestmark = pytest.mark.neo4j


@pytest.fixture
def looping_store() -> Iterator[CountingNeo4jStore]:
    """The sample portfolio on the test Neo4j, in a store that can read on a loop."""
    store = open_neo4j_store(partial(  # type: ignore[arg-type]
        CountingNeo4jStore, async_driver=lambda: AsyncGraphDatabase.driver(NEO4J_URI)))
    store.delete_all()
    load_sample(store)
    yield store
    store.delete_all()
    store.close()


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    engine = create_sql_engine(f"sqlite:///{tmp_path / 'loanwatch.db'}")
    migrate(engine)  # the OAuth tables the start-up reads
    yield engine
    engine.dispose()


def _post(port: int, body: dict[str, object]) -> dict[str, object]:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/graphql", data=json.dumps(body).encode(),
        headers={**ANALYST_AUTH, "content-type": "application/json"}, method="POST")
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())  # type: ignore[no-any-return]


def test_a_served_view_walks_on_the_event_loop(looping_store: CountingNeo4jStore,
                                               engine: Engine) -> None:
    app = api_app(Settings.from_environ({"LOANWATCH_ENVIRONMENT": "development"}),
                  looping_store, engine)
    body = {"query": VIEW, "variables": {"id": "C1"}}
    threaded = ApiClient(app).post("/graphql", json=body).json()  # no start-up: threads
    assert looping_store.calls["walk"] == 1 and "errors" not in threaded
    looping_store.calls.clear()

    with serving(app, lifespan="on") as (_, port):
        served = _post(port, body)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=30) as page:
            metrics = page.read().decode()
    assert served == threaded
    assert "walk" not in looping_store.calls  # read by the walker, not the store
    # Both walks timed: the threaded one through the store, the served one through the walker.
    assert 'loanwatch_store_call_duration_seconds_count{method="walk"} 2.0' in metrics
    assert app.routes and _walker_gone(app)


def _walker_gone(app: object) -> bool:
    """Shut down, the view holds no walker (its driver closed with it)."""
    view = next(route.endpoint for route in app.routes  # type: ignore[attr-defined]
                if getattr(route, "name", "") == "graphql")
    return view.loop_walker is None  # type: ignore[no-any-return]
