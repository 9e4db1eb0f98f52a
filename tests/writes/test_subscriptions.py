"""``alertChanges`` over graphql-transport-ws against a real uvicorn: changes made by
mutations reach subscribers, filtered; across app instances through real Redis pub/sub."""

from __future__ import annotations

import asyncio
import json
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis
import uvicorn
from starlette.types import ASGIApp
from websockets.asyncio.client import ClientConnection, connect

from auth.principal import Role
from loanwatch.settings import Settings
from risk.alerts.feed import AlertChange, LocalAlertFeed, RedisAlertFeed
from risk.alerts.lifecycle import AlertDraft, raise_alerts
from schema import build_context, build_schema
from tests.api.apps import api_app, auth_header
from tests.api.server import WAIT_S, wait_until
from tests.services import REDIS_URL, unreachable
from tests.writes.conftest import Stores

#: connection_init's payload: a manager's token (reads the portfolio, moves alerts).
MANAGER_PAYLOAD = {"Authorization": auth_header(Role.MANAGER)["authorization"]}

SUBSCRIBE = """
subscription Watch($statuses: [String!]) {
  alertChanges(statuses: $statuses) { change alert { id status severity subjectId } }
}"""
ACK = """mutation Ack($id: ID!, $e: String!) {
  acknowledgeAlert(input: {eventId: $e, alertId: $id}) { __typename } }"""
RESOLVE = """mutation Res($id: ID!, $e: String!) {
  resolveAlert(input: {eventId: $e, alertId: $id}) { __typename } }"""


@pytest.fixture
def stores(tmp_path: Path) -> Stores:
    from graph.stores.embedded import EmbeddedGraphStore
    from loanwatch.migrations import migrate
    from portfolio.database import create_sql_engine
    from tests.writes.conftest import seed

    engine = create_sql_engine(f"sqlite:///{tmp_path / 'lw.db'}")
    migrate(engine)
    pair = Stores(EmbeddedGraphStore(engine), engine, "embedded-sqlite")
    seed(pair, tmp_path / "seed")
    return pair


@pytest.fixture
def redis_url() -> Iterator[str]:
    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis.RedisError as exc:
        unreachable("Redis", REDIS_URL, exc)
    yield REDIS_URL
    client.close()


def _alert(stores: Stores) -> int:
    [outcome] = raise_alerts(stores.engine, [AlertDraft(
        rule_id="dpd_30", severity="high", subject_kind="loan", subject_id="L1",
        as_of=date(2025, 6, 1), cooldown_days=30)], actor="scan")
    return outcome.alert_id


@contextmanager
def serving(app: ASGIApp) -> Iterator[str]:
    """``app`` under a real uvicorn with WebSockets; yields its base address."""
    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning",
                            lifespan="on", ws="websockets-sansio", http="h11")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="uvicorn", daemon=True)
    thread.start()
    try:
        wait_until(lambda: server.started, "the server started")
        port = server.servers[0].sockets[0].getsockname()[1]
        yield f"127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(WAIT_S)


def _app(stores: Stores, feed: LocalAlertFeed) -> ASGIApp:
    settings = Settings.from_environ({"LOANWATCH_ENVIRONMENT": "development"})
    return api_app(settings, stores.graph, stores.engine, alert_feed=feed)


async def _subscribe(address: str, variables: dict[str, Any]) -> ClientConnection:
    socket = await connect(f"ws://{address}/graphql", subprotocols=["graphql-transport-ws"])
    await socket.send(json.dumps({"type": "connection_init", "payload": MANAGER_PAYLOAD}))
    assert json.loads(await socket.recv())["type"] == "connection_ack"
    await socket.send(json.dumps({"id": "1", "type": "subscribe", "payload": {
        "query": SUBSCRIBE, "variables": variables}}))
    return socket


async def _post(address: str, query: str, **variables: Any) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=f"http://{address}") as http:
        response = await http.post("/graphql", json={"query": query, "variables": variables},
                                   headers=auth_header(Role.MANAGER))
    return response.json()  # type: ignore[no-any-return]


async def _next(socket: ClientConnection) -> dict[str, Any]:
    message = json.loads(await asyncio.wait_for(socket.recv(), WAIT_S))
    assert message["type"] == "next", message
    return message["payload"]  # type: ignore[no-any-return]


def test_a_subscriber_hears_the_changes_it_asked_for(stores: Stores) -> None:
    alert_id = _alert(stores)
    feed = LocalAlertFeed()

    async def scenario(address: str) -> tuple[dict[str, Any], dict[str, Any]]:
        everything = await _subscribe(address, {})
        resolved_only = await _subscribe(address, {"statuses": ["resolved"]})
        await asyncio.to_thread(wait_until, lambda: feed.subscriber_count == 2,
                                "both subscriptions listen")
        assert (await _post(address, ACK, id=str(alert_id), e="a1"))["data"] == {
            "acknowledgeAlert": {"__typename": "AlertChanged"}}
        first = await _next(everything)
        await _post(address, RESOLVE, id=str(alert_id), e="r1")
        second = await _next(everything)
        only = await _next(resolved_only)
        assert only == second
        await everything.close()
        await resolved_only.close()
        return first, second

    with serving(_app(stores, feed)) as address:
        first, second = asyncio.run(scenario(address))

    alert = {"id": f"Alert:{alert_id}", "severity": "high", "subjectId": "L1"}
    assert first == {"data": {"alertChanges": {
        "change": "acknowledged", "alert": {**alert, "status": "acknowledged"}}}}
    assert second == {"data": {"alertChanges": {
        "change": "resolved", "alert": {**alert, "status": "resolved"}}}}


def test_a_subscription_with_a_bad_argument_is_refused_with_a_code(stores: Stores) -> None:
    async def scenario(address: str) -> dict[str, Any]:
        socket = await _subscribe(address, {"statuses": ["sleeping"]})
        message = json.loads(await asyncio.wait_for(socket.recv(), WAIT_S))
        await socket.close()
        return message  # type: ignore[no-any-return]

    with serving(_app(stores, LocalAlertFeed())) as address:
        message = asyncio.run(scenario(address))

    payload = message["payload"]
    errors = payload if isinstance(payload, list) else payload.get("errors")
    assert errors[0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert "sleeping" in errors[0]["message"]
    assert "Traceback" not in json.dumps(message)


def test_a_change_written_through_one_instance_reaches_the_subscribers_of_another(
        stores: Stores, redis_url: str) -> None:
    channel = f"loanwatch:test:{uuid.uuid4().hex}"
    alert_id = _alert(stores)
    listening = RedisAlertFeed(redis_url, channel=channel)
    writing = RedisAlertFeed(redis_url, channel=channel)

    async def scenario(listen_at: str, write_at: str) -> dict[str, Any]:
        socket = await _subscribe(listen_at, {})
        await asyncio.to_thread(wait_until, lambda: listening.subscriber_count == 1,
                                "the subscription listens")
        await _post(write_at, ACK, id=str(alert_id), e="a1")
        heard = await _next(socket)
        await socket.close()
        return heard

    with serving(_app(stores, listening)) as listen_at, \
            serving(_app(stores, writing)) as write_at:
        heard = asyncio.run(scenario(listen_at, write_at))

    assert heard["data"]["alertChanges"]["change"] == "acknowledged"
    assert heard["data"]["alertChanges"]["alert"]["id"] == f"Alert:{alert_id}"


def test_the_redis_feed_delivers_each_change_once_to_every_subscriber(redis_url: str) -> None:
    feed = RedisAlertFeed(redis_url, channel=f"loanwatch:test:{uuid.uuid4().hex}")
    change = AlertChange(alert_id=7, change="raised", status="open", severity="low",
                         subject_kind="loan", subject_id="L1", assignee=None,
                         at="2025-06-01T00:00:00+00:00")

    async def scenario() -> list[list[AlertChange]]:
        async with feed.subscribe() as one, feed.subscribe() as two:
            await asyncio.to_thread(feed.publish, change)
            redis.Redis.from_url(redis_url).publish(feed._channel, b"not json")
            got = [[await asyncio.wait_for(anext(one), WAIT_S)],
                   [await asyncio.wait_for(anext(two), WAIT_S)]]
            await asyncio.to_thread(feed.publish, change)
            got[0].append(await asyncio.wait_for(anext(one), WAIT_S))
        await feed.aclose()
        return got

    assert asyncio.run(scenario()) == [[change, change], [change]]


def test_a_slow_subscriber_loses_the_oldest_changes_not_the_server_memory() -> None:
    feed = LocalAlertFeed(max_pending=2)
    changes = [AlertChange(alert_id=i, change="raised", status="open", severity="low",
                           subject_kind="loan", subject_id="L1", assignee=None, at="")
               for i in range(5)]

    async def scenario() -> list[int]:
        async with feed.subscribe() as heard:
            for change in changes:
                feed.publish(change)
            await asyncio.sleep(0)  # let the deliveries scheduled on this loop run
            return [(await anext(heard)).alert_id, (await anext(heard)).alert_id]

    assert asyncio.run(scenario()) == [3, 4]
    assert feed.dropped == 3


def test_the_stream_ends_when_the_token_that_opened_it_expires(stores: Stores) -> None:
    """The caller is the context's principal (the gate sets it); here one that expires in
    a moment, read the way the subscription reads it."""
    from auth.principal import Principal, Role

    schema = build_schema(mask_errors=True)  # built first: it takes a while
    principal = Principal(subject="user:ann", client_id="front", role=Role.ANALYST,
                          scopes=frozenset({"portfolio:read"}), user="ann",
                          expires_at=datetime.now(UTC) + timedelta(seconds=1))
    context = build_context(stores.graph, records=stores.engine, alert_feed=LocalAlertFeed(),
                            principal=principal)

    async def scenario() -> list[Any]:
        stream = await schema.subscribe(
            "subscription { alertChanges { change } }", context_value=context)
        return [item async for item in stream]  # type: ignore[union-attr]

    assert asyncio.run(asyncio.wait_for(scenario(), WAIT_S)) == []


def test_only_registered_subscriptions_run_when_the_switch_is_on(stores: Stores) -> None:
    """graphql-transport-ws clients send the text; it must be a registered document."""
    from portfolio.persisted_documents import register_documents

    register_documents(stores.engine, [(SUBSCRIBE, "Watch")])
    settings = Settings.from_environ({"LOANWATCH_ENVIRONMENT": "production",
                                      "LOANWATCH_ONLY_REGISTERED_DOCUMENTS": "true",
                                      "LOANWATCH_IDENTIFIER_KEY": "k" * 32})
    feed = LocalAlertFeed()
    app = api_app(settings, stores.graph, stores.engine, alert_feed=feed)

    async def scenario(address: str) -> dict[str, Any]:
        registered = await _subscribe(address, {})
        await asyncio.to_thread(wait_until, lambda: feed.subscriber_count == 1,
                                "the registered subscription listens")
        await registered.close()
        socket = await connect(f"ws://{address}/graphql",
                               subprotocols=["graphql-transport-ws"])
        await socket.send(json.dumps({"type": "connection_init", "payload": MANAGER_PAYLOAD}))
        await socket.recv()
        await socket.send(json.dumps({"id": "2", "type": "subscribe", "payload": {
            "query": "subscription { alertChanges { change } }"}}))
        refused = json.loads(await asyncio.wait_for(socket.recv(), WAIT_S))
        await socket.close()
        return refused  # type: ignore[no-any-return]

    with serving(app) as address:
        refused = asyncio.run(scenario(address))

    assert refused["type"] == "error"
    assert refused["id"] == "2"
    assert [e["extensions"]["code"] for e in refused["payload"]] == [
        "PERSISTED_QUERY_NOT_ALLOWED"]
