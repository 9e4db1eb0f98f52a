"""/healthz and /readyz: liveness, and readiness of each backend."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, create_engine
from starlette.applications import Starlette
from starlette.routing import Route

from api.health import readiness_endpoint
from graph.stores.embedded import EmbeddedGraphStore
from loanwatch.settings import Settings
from tests.api.apps import api_app
from tests.api.client import ApiClient
from tests.schema.sample import CountingStore

DEVELOPMENT = Settings.from_environ({"LOANWATCH_ENVIRONMENT": "development"})
PRODUCTION = Settings.from_environ({"LOANWATCH_ENVIRONMENT": "production"})


def closed_port() -> int:
    """A local TCP port nothing listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def unreachable_postgres() -> Iterator[Engine]:
    engine = create_engine(
        f"postgresql+psycopg://loanwatch:secret@127.0.0.1:{closed_port()}/loanwatch",
        connect_args={"connect_timeout": 2},
    )
    yield engine
    engine.dispose()


def test_healthz_answers_while_the_process_lives(client: ApiClient) -> None:
    response = client.get("/healthz")
    assert (response.status_code, response.json()) == (200, {"status": "ok"})


def test_readyz_is_ready_when_every_backend_answers(client: ApiClient) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ready", "down": [],
        "components": {"graph": {"status": "up"}, "database": {"status": "up"},
                       "queries": {"status": "up"}},
    }


def test_readyz_names_an_unreachable_database(store: CountingStore,
                                              unreachable_postgres: Engine) -> None:
    client = ApiClient(api_app(DEVELOPMENT, store, unreachable_postgres))
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert (body["status"], body["down"]) == ("unavailable", ["database"])
    assert body["components"]["graph"] == {"status": "up"}
    assert body["components"]["database"]["status"] == "down"
    assert "Connection refused" in body["components"]["database"]["reason"]
    assert "secret" not in response.text


def test_readyz_hides_reasons_in_production(unreachable_postgres: Engine) -> None:
    graph = EmbeddedGraphStore(unreachable_postgres)
    client = ApiClient(api_app(PRODUCTION, graph, unreachable_postgres))
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json() == {
        "status": "unavailable", "down": ["database", "graph"],
        "components": {"graph": {"status": "down"}, "database": {"status": "down"},
                       "queries": {"status": "up"}},
    }


def test_a_hung_backend_fails_the_check_in_time() -> None:
    def hang() -> None:
        time.sleep(0.3)  # far longer than the check may take

    readyz = readiness_endpoint({"hung": hang}, show_reasons=True, timeout_s=0.05)
    client = ApiClient(Starlette(routes=[Route("/readyz", readyz)]))
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["components"]["hung"] == {"status": "down",
                                                     "reason": "no answer within 0.05 s"}
