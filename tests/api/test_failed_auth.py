"""Requests without a valid access token, throttled per source address: 401 until the
address has failed ``LOANWATCH_AUTH_FAILURE_LIMIT`` times, then 429 with ``Retry-After``
(WebSocket: 429 at the handshake, 4429 at ``connection_init``); shared through Redis across
processes; a valid token always gets through; never per client id."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator

import httpx
import pytest
import redis
from websockets.exceptions import InvalidStatus

from api.failed_auth import FailedAuthentication
from auth.principal import Role
from loanwatch.errors import ConfigurationError
from tests.api.apps import auth_header
from tests.api.client import ApiClient
from tests.api.websockets import (
    app_on,
    closed_with,
    init,
    migrated_stores,
    open_socket,
    served,
    settings_of,
)
from tests.services import REDIS_URL, unreachable
from tests.writes.conftest import Stores

QUERY = {"query": "{ __typename }"}
#: The address ApiClient's requests come from.
SOURCE = "10.1.2.3"
WRONG = {"authorization": "Bearer wrong-token"}


@pytest.fixture(scope="module")
def stores(tmp_path_factory: pytest.TempPathFactory) -> Stores:
    return migrated_stores(tmp_path_factory.mktemp("failed-auth"))


@pytest.fixture
def redis_url() -> Iterator[str]:
    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis.RedisError as exc:
        unreachable("Redis", REDIS_URL, exc)
    yield REDIS_URL
    client.close()


def _client(stores: Stores, limit: str = "3/minute", storage: str = "memory://"
            ) -> ApiClient:
    settings = settings_of(LOANWATCH_AUTH_FAILURE_LIMIT=limit,
                           LOANWATCH_RATE_LIMIT_STORAGE=storage)
    return ApiClient(app_on(stores, settings))


def _statuses(api: ApiClient, *headers: dict[str, str]) -> list[int]:
    return [api.post("/graphql", json=QUERY, headers=h).status_code for h in headers]


def test_an_address_failing_too_often_gets_429_with_retry_after_then_a_token_still_works(
        stores: Stores) -> None:
    api = _client(stores)
    missing = {"authorization": ""}
    malformed = {"authorization": "Basic abc"}

    assert _statuses(api, missing, WRONG, malformed) == [401, 401, 400]
    refused = api.post("/graphql", json=QUERY, headers=WRONG)

    assert refused.status_code == 429
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    [error] = refused.json()["errors"]
    assert error["extensions"]["code"] == "RATE_LIMITED"
    assert error["message"].startswith("too many requests without a valid access token "
                                       "from this address; retry in ")
    assert "wrong-token" not in refused.text
    assert _statuses(api, missing) == [429]
    assert _statuses(api, auth_header(Role.ANALYST)) == [200], "a valid token gets through"
    metrics = api.get("/metrics").text
    assert 'loanwatch_auth_throttled_total{transport="http"} 2.0' in metrics


def test_the_window_moving_on_lifts_the_refusal(stores: Stores) -> None:
    api = _client(stores, limit="2/second")
    assert _statuses(api, WRONG, WRONG, WRONG) == [401, 401, 429]

    lifted = asyncio.run(_wait_for_401(api))

    assert lifted, "the refusal lifted once the failures left the window"


async def _wait_for_401(api: ApiClient) -> bool:
    for _ in range(200):
        if await asyncio.to_thread(_statuses, api, WRONG) == [401]:
            return True
        await asyncio.sleep(0.05)
    return False


def test_the_failures_of_one_address_are_counted_across_processes_in_redis(
        stores: Stores, redis_url: str) -> None:
    shared = FailedAuthentication.from_strings("3/minute", redis_url)
    shared.clear(SOURCE)
    one, two = _client(stores, storage=redis_url), _client(stores, storage=redis_url)
    try:
        assert _statuses(one, WRONG, WRONG) == [401, 401]
        assert _statuses(two, WRONG, WRONG) == [401, 429]
        assert _statuses(one, WRONG) == [429]
        shared.clear(SOURCE)  # an operator lifting the block
        assert _statuses(one, WRONG) == [401]
    finally:
        shared.clear(SOURCE)


def test_a_client_id_is_never_locked_out(stores: Stores) -> None:
    """The count is per address: another address with the same client's token is served,
    and so is the client itself from the refused address."""
    api = _client(stores, limit="1/minute")
    assert _statuses(api, WRONG, WRONG) == [401, 429]
    elsewhere = ApiClient(api.app)

    async def from_another_address() -> int:
        transport = httpx.ASGITransport(app=api.app, client=("10.9.9.9", 40000))
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            return (await client.post("/graphql", json=QUERY, headers=WRONG)).status_code

    assert asyncio.run(from_another_address()) == 401
    assert _statuses(elsewhere, auth_header(Role.INTEGRATION)) == [200]


def test_websocket_failures_count_and_are_refused_at_the_handshake_and_in_init(
        stores: Stores) -> None:
    settings = settings_of(LOANWATCH_AUTH_FAILURE_LIMIT="2/minute")
    app = app_on(stores, settings)

    async def scenario(url: str) -> tuple[tuple[int, str], tuple[int, str], int, str, str]:
        first = await _init_with(url, "Bearer wrong")
        second = await _init_with(url, "Bearer wrong")
        with pytest.raises(InvalidStatus) as handshake:
            await open_socket(url, {"authorization": "Bearer wrong"})
        third = await _init_with(url, "Bearer wrong")
        ok = await init(url, Role.ANALYST)
        await ok.close()
        response = handshake.value.response
        return (first, second, response.status_code,
                response.headers["retry-after"], json.dumps(third))

    with served(app) as url:
        first, second, status, retry_after, third = asyncio.run(scenario(url))

    assert first == second == (4403, "Forbidden: the access token is expired or unknown")
    assert status == 429 and 1 <= int(retry_after) <= 60
    assert json.loads(third)[0] == 4429
    assert json.loads(third)[1].startswith("too many requests without a valid access token")


async def _init_with(url: str, authorization: str) -> tuple[int, str]:
    socket = await open_socket(url)
    await socket.send(json.dumps({"type": "connection_init",
                                  "payload": {"Authorization": authorization}}))
    return await closed_with(socket)


def test_a_malformed_failure_limit_is_refused_at_start_up() -> None:
    with pytest.raises(ConfigurationError, match=r"LOANWATCH_AUTH_FAILURE_LIMIT.*often"):
        settings_of(LOANWATCH_AUTH_FAILURE_LIMIT="often")
    with pytest.raises(ConfigurationError, match="LOANWATCH_AUTH_FAILURE_LIMIT"):
        FailedAuthentication.from_strings("often", "memory://")
