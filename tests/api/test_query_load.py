"""A few requests cannot stall the API: cost limit, time limit, disconnects, heavy queue.

Walks run on :class:`HeldStore`, whose hops wait until the test releases them, so that
"a heavy query is still running" is a state the test holds, not a race it times.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine
from starlette.applications import Starlette

from api.admission import HeavyQueryGate
from loanwatch.settings import Settings
from tests.api.apps import ANALYST_AUTH, api_app
from tests.api.client import ApiClient
from tests.api.held_store import HELD_WALK, HeldStore, held_store
from tests.api.server import WAIT_S, serving, wait_until
from tests.schema.sample import sqlite_engine

GRAPHQL_RESPONSE = "application/graphql-response+json"
LIGHT = '{ party(id: "C1") { name } }'
ALIAS = 'n{i}: neighbourhood(id: "C1", hops: 6, limit: 2000) {{ nodes {{ id label name }} ' \
        'edges {{ type source target }} }}'
#: The probe: fifteen aliases of the largest neighbourhood, each within every old limit.
FIFTEEN_NEIGHBOURHOODS = "{ " + " ".join(ALIAS.format(i=i) for i in range(15)) + " }"


def settings(**values: object) -> Settings:
    return Settings.from_environ({f"LOANWATCH_{k.upper()}": str(v) for k, v in values.items()})


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    engine = sqlite_engine(tmp_path / "held.db")
    yield engine
    engine.dispose()


@pytest.fixture
def held(engine: Engine) -> Iterator[HeldStore]:
    store = held_store(engine)
    yield store
    store.released.set()  # never leave a walk waiting


def gate_of(app: Starlette) -> HeavyQueryGate:
    return app.state.heavy_queries


def post(base: tuple[str, int], query: str, **headers: str) -> httpx.Response:
    host, port = base
    return httpx.post(f"http://{host}:{port}/graphql", json={"query": query},
                      headers={**ANALYST_AUTH, **headers}, timeout=WAIT_S)


def test_the_probe_is_refused_before_anything_runs(client: ApiClient) -> None:
    response = client.post("/graphql", json={"query": FIFTEEN_NEIGHBOURHOODS},
                           headers={"accept": GRAPHQL_RESPONSE})
    assert response.status_code == 400
    body = response.json()
    assert "data" not in body
    [error] = body["errors"]
    assert error["extensions"] == {"code": "QUERY_TOO_COSTLY", "cost": 240_015,
                                   "maxCost": 50_000}
    assert error["message"].startswith("the query costs 240,015, more than the limit of 50,000")


def test_the_probe_is_a_graphql_response_with_200_for_json_clients(client: ApiClient) -> None:
    response = client.post("/graphql", json={"query": FIFTEEN_NEIGHBOURHOODS})
    assert response.status_code == 200
    assert response.json()["errors"][0]["extensions"]["code"] == "QUERY_TOO_COSTLY"


def test_the_cost_limit_is_a_setting(held: HeldStore, engine: Engine) -> None:
    held.released.set()
    client = ApiClient(api_app(settings(query_max_cost=800), held, engine))
    small = '{ neighbourhood(id: "C1") { nodes { id } edges { type } } }'  # costs 801
    body = client.post("/graphql", json={"query": small}).json()
    assert body["errors"][0]["extensions"]["maxCost"] == 800
    assert held.calls["neighbourhood"] == 0, "a refused query reads nothing"


def test_a_request_past_its_time_limit_is_stopped(held: HeldStore, engine: Engine) -> None:
    # Served for real: ApiClient's asyncio.run would wait for the walk's thread to end.
    # One second is ample for the walk to reach its first hop, where it is held.
    with serving(api_app(settings(query_time_limit_s=1), held, engine)) as base:
        response = post(base, HELD_WALK, accept=GRAPHQL_RESPONSE)
        # The walk was still waiting at its first hop; released now, it stops there.
        held.released.set()
        assert held.outcome() == "QueryTimedOut"
    assert held.hops == 1
    assert response.status_code == 504
    [error] = response.json()["errors"]
    assert error["extensions"] == {"code": "QUERY_TIMEOUT"}
    assert "time limit of 1 s" in error["message"]


def test_a_timeout_is_200_for_json_clients(held: HeldStore, engine: Engine) -> None:
    with serving(api_app(settings(query_time_limit_s=0.2), held, engine)) as base:
        response = post(base, HELD_WALK)
        held.released.set()
    assert response.status_code == 200
    assert response.json()["errors"][0]["extensions"]["code"] == "QUERY_TIMEOUT"


def test_a_client_that_hangs_up_has_its_walk_stopped(held: HeldStore, engine: Engine) -> None:
    app = api_app(settings(heavy_query_cost=1), held, engine)
    body = json.dumps({"query": HELD_WALK}).encode()
    with serving(app) as (host, port):
        with socket.create_connection((host, port), timeout=WAIT_S) as sock:
            sock.sendall(b"POST /graphql HTTP/1.1\r\nhost: loanwatch\r\n"
                         b"content-type: application/json\r\n"
                         b"authorization: %s\r\n" % ANALYST_AUTH["authorization"].encode() +
                         b"content-length: %d\r\n\r\n%s" % (len(body), body))
            held.wait_for_a_hop()
            assert gate_of(app).running == 1
        # The client is gone: the server cancels the request, which frees its slot...
        wait_until(lambda: gate_of(app).running == 0, "the request was cancelled")
        # ...and the walk, released, stops at its next hop instead of finishing.
        held.released.set()
        assert held.outcome() == "QueryCancelled"
        assert held.hops == 1


def test_light_queries_answer_while_heavy_ones_fill_the_pool(held: HeldStore,
                                                             engine: Engine) -> None:
    app = api_app(settings(heavy_query_cost=100, heavy_query_slots=1,
                              heavy_query_wait_s=WAIT_S, query_time_limit_s=3 * WAIT_S),
                     held, engine)
    gate = gate_of(app)
    with serving(app) as base, ThreadPoolExecutor(max_workers=2) as pool:
        first: Future[httpx.Response] = pool.submit(post, base, HELD_WALK)
        held.wait_for_a_hop()
        second = pool.submit(post, base, HELD_WALK)
        wait_until(lambda: gate.waiting == 1, "the second heavy query queued")

        host, port = base
        ready = httpx.get(f"http://{host}:{port}/readyz", timeout=WAIT_S)
        assert ready.status_code == 503
        assert ready.json()["down"] == ["queries"]
        assert ready.json()["components"]["queries"] == {
            "status": "saturated",
            "reason": "heavy queries saturated: 1 of 1 slots busy, 1 waiting",
        }

        light = post(base, LIGHT)
        assert light.json() == {"data": {"party": {"name": "Huaxin Trading"}}}
        assert not first.done() and not second.done()

        held.released.set()
        for heavy in (first, second):
            assert "errors" not in heavy.result(WAIT_S).json()
        ready = httpx.get(f"http://{host}:{port}/readyz", timeout=WAIT_S)
        assert ready.status_code == 200


def test_a_heavy_query_that_waits_too_long_is_told_the_server_is_busy(
        held: HeldStore, engine: Engine) -> None:
    app = api_app(settings(heavy_query_cost=100, heavy_query_slots=1,
                              heavy_query_wait_s=0.1, query_time_limit_s=3 * WAIT_S),
                     held, engine)
    with serving(app) as base, ThreadPoolExecutor(max_workers=1) as pool:
        first = pool.submit(post, base, HELD_WALK)
        held.wait_for_a_hop()
        busy = post(base, HELD_WALK, accept=GRAPHQL_RESPONSE)
        assert busy.status_code == 503
        [error] = busy.json()["errors"]
        assert error["extensions"]["code"] == "SERVER_BUSY"
        assert error["message"].startswith("the server is busy: 1 heavy queries are running")
        held.released.set()
        assert "errors" not in first.result(WAIT_S).json()
    assert held.calls["neighbourhood"] == 1, "the refused query never walked"


def test_gate_limits_are_checked() -> None:
    with pytest.raises(ValueError, match="slots >= 1"):
        HeavyQueryGate(heavy_cost=10, slots=0, wait_s=1.0)
