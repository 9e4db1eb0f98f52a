"""WebSocket limits against a real uvicorn: connections in all and per caller, operations
per connection, the wait for ``connection_init``, and a token that expires or is revoked
while its connection is open. Each limit trips, closes (or refuses) with its code and a
reason, is counted in /metrics, and lets go once the connection that filled it is gone."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from starlette.applications import Starlette

from api.websocket_limits import WebSocketConnections, WebSocketLimits
from auth.principal import Principal, Role
from tests.api.server import wait_until
from tests.api.websockets import (
    app_on,
    closed_with,
    init,
    migrated_stores,
    open_socket,
    receive,
    served,
    settings_of,
    subscribe,
)
from tests.principals import StaticTokens, token_of, tokens
from tests.writes.conftest import Stores

WATCH = "subscription Watch { alertChanges { change } }"
TYPENAME = "query T { __typename }"


@pytest.fixture(scope="module")
def stores(tmp_path_factory: pytest.TempPathFactory) -> Stores:
    return migrated_stores(tmp_path_factory.mktemp("ws-limits"))


def _app(stores: Stores, **variables: str) -> Starlette:
    return app_on(stores, settings_of(**variables))


def _connections(app: Starlette) -> WebSocketConnections:
    return app.state.websockets  # type: ignore[no-any-return]


def _metrics(app: Starlette) -> str:
    body, _ = app.state.metrics.exposition()
    return body.decode()  # type: ignore[no-any-return]


async def _settled(app: Starlette, total: int) -> None:
    await asyncio.to_thread(wait_until, lambda: _connections(app).total == total,
                            f"the server holds {total} connections")


def test_past_the_total_a_connection_is_closed_1013_until_one_ends(stores: Stores) -> None:
    app = _app(stores, LOANWATCH_WS_MAX_CONNECTIONS="2")

    async def scenario(url: str) -> tuple[tuple[int, str], str]:
        first, second = await init(url), await init(url, Role.ANALYST)
        refused = await closed_with(await open_socket(url))
        gauge = _metrics(app)
        await first.close()
        await _settled(app, 1)
        third = await init(url, Role.INVESTIGATOR)
        await second.close()
        await third.close()
        return refused, gauge

    with served(app) as url:
        refused, metrics = asyncio.run(scenario(url))

    assert refused == (1013, "the server holds its most WebSocket connections (2); "
                             "try again later")
    assert "loanwatch_websocket_connections 2.0" in metrics
    assert 'loanwatch_websocket_closed_total{reason="too-many-connections"} 1.0' in metrics


def test_past_its_own_limit_a_caller_is_closed_4429_and_others_are_not(
        stores: Stores) -> None:
    app = _app(stores, LOANWATCH_WS_MAX_CONNECTIONS_PER_CLIENT="2")

    async def scenario(url: str) -> tuple[int, str]:
        first, second = await init(url, Role.ANALYST), await init(url, Role.ANALYST)
        third = await open_socket(url)
        await third.send(json.dumps({"type": "connection_init", "payload": {
            "Authorization": f"Bearer {token_of(Role.ANALYST)}"}}))
        refused = await closed_with(third)
        other = await init(url, Role.INVESTIGATOR)  # another caller is not counted
        assert _connections(app).of("user:analyst-user") == 2
        await first.close()
        await asyncio.to_thread(wait_until,
                                lambda: _connections(app).of("user:analyst-user") == 1,
                                "the analyst's first connection is forgotten")
        again = await init(url, Role.ANALYST)
        for socket in (second, other, again):
            await socket.close()
        return refused

    with served(app) as url:
        refused = asyncio.run(scenario(url))

    assert refused == (4429, "this caller holds its most WebSocket connections (2); "
                             "close one first")
    assert 'loanwatch_websocket_closed_total{reason="too-many-client-connections"} 1.0' \
        in _metrics(app)


def test_past_its_operations_limit_a_subscribe_gets_an_error_and_the_connection_lives(
        stores: Stores) -> None:
    app = _app(stores, LOANWATCH_WS_MAX_SUBSCRIPTIONS_PER_CONNECTION="1")

    async def scenario(url: str) -> tuple[dict[str, Any], dict[str, Any], str]:
        socket = await init(url)
        await subscribe(socket, "watch", query=WATCH)
        await asyncio.to_thread(wait_until,
                                lambda: "loanwatch_websocket_operations 1.0" in _metrics(app),
                                "the subscription runs")
        await subscribe(socket, "second", query=TYPENAME)
        refused = await receive(socket)
        metrics = _metrics(app)
        await socket.send(json.dumps({"id": "watch", "type": "complete"}))
        await subscribe(socket, "third", query=TYPENAME)
        served_after = await receive(socket)
        await socket.close()
        return refused, served_after, metrics

    with served(app) as url:
        refused, served_after, metrics = asyncio.run(scenario(url))

    assert refused["type"] == "error" and refused["id"] == "second"
    [error] = refused["payload"]
    assert error["extensions"]["code"] == "TOO_MANY_SUBSCRIPTIONS"
    assert error["message"] == ("this connection runs 1 operations already, the most one "
                                "connection may: complete one first")
    assert served_after == {"id": "third", "type": "next",
                            "payload": {"data": {"__typename": "Query"}}}
    assert ('loanwatch_websocket_operations_refused_total{code="TOO_MANY_SUBSCRIPTIONS"} 1.0'
            in metrics)


def test_a_connection_without_connection_init_is_closed_4408_in_time(stores: Stores) -> None:
    app = _app(stores, LOANWATCH_WS_CONNECTION_INIT_TIMEOUT_S="0.3")

    async def scenario(url: str) -> tuple[int, str]:
        silent = await open_socket(url)
        closed = await closed_with(silent)
        prompt = await init(url)  # one that sends it in time is acknowledged and stays
        await subscribe(prompt, "t", query=TYPENAME)
        assert (await receive(prompt))["type"] == "next"
        await prompt.close()
        return closed

    with served(app) as url:
        closed = asyncio.run(scenario(url))

    assert closed == (4408, "Connection initialisation timeout")
    assert 'loanwatch_websocket_closed_total{reason="init-timeout"} 1.0' in _metrics(app)


def test_a_connection_ends_when_its_token_expires_or_is_revoked(stores: Stores) -> None:
    verifier = StaticTokens(tokens())
    app = app_on(stores, settings_of(LOANWATCH_WS_TOKEN_RECHECK_S="0.1"), verifier=verifier)

    async def scenario(url: str) -> tuple[tuple[int, str], tuple[int, str]]:
        verifier.table["short-lived"] = Principal(
            subject="user:ann", client_id="front", role=Role.MANAGER,
            scopes=frozenset({"portfolio:read"}), user="ann",
            expires_at=datetime.now(UTC) + timedelta(seconds=1))
        expiring = await init(url, token="short-lived")
        await subscribe(expiring, "watch", query=WATCH)
        revoked = await init(url, Role.ANALYST)
        del verifier.table[token_of(Role.ANALYST)]
        return await closed_with(expiring), await closed_with(revoked)

    with served(app) as url:
        expired, revoked = asyncio.run(scenario(url))

    assert expired == (4403, "Forbidden: the access token expired; reconnect with a fresh one")
    assert revoked == (4403, "Forbidden: the access token is expired or unknown")
    metrics = _metrics(app)
    assert 'loanwatch_websocket_closed_total{reason="token-expired"} 1.0' in metrics
    assert 'loanwatch_websocket_closed_total{reason="token-invalid"} 1.0' in metrics
    assert "loanwatch_websocket_connections 0.0" in metrics


def test_limits_must_be_positive() -> None:
    with pytest.raises(ValueError, match="positive"):
        WebSocketLimits(max_connections=0)
    with pytest.raises(ValueError, match="positive"):
        WebSocketLimits(init_timeout_s=0)


def test_the_counts_trip_and_reset() -> None:
    connections = WebSocketConnections(WebSocketLimits(max_connections=2,
                                                       max_connections_per_client=1))
    assert [connections.open(), connections.open(), connections.open()] == [True, True, False]
    connections.close()
    assert connections.open()
    assert [connections.join("a"), connections.join("a"), connections.join("b")] == [
        True, False, True]
    connections.leave("a")
    assert connections.of("a") == 0 and connections.join("a")
