"""``caseChanges`` over graphql-transport-ws against a real uvicorn: a collector's move made
over HTTP and the daily collections run reach the subscribers that asked for them, the
borrower masked unless the subscriber may read personal data; across app instances
through real Redis pub/sub; a bad argument is refused with a code."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.types import ASGIApp
from websockets.asyncio.client import ClientConnection, connect

from auth.principal import Role
from graph.stores.embedded import EmbeddedGraphStore
from loanwatch.migrations import migrate
from loanwatch.settings import Settings
from portfolio.database import create_sql_engine
from risk.collections.feed import CaseChange, LocalCaseFeed, RedisCaseFeed
from risk.collections.run import run_collections
from tests.api.apps import api_app, auth_header
from tests.api.server import WAIT_S, wait_until
from tests.principals import ListAuditSink
from tests.schema.post_loan.conftest import CASE_ID
from tests.writes.conftest import Stores, seed
from tests.writes.test_subscriptions import redis_url, serving

__all__ = ["redis_url"]

WATCH = """subscription W($events: [String!]) { caseChanges(events: $events) {
  event fromState actor case { caseId state bucket borrower { id } } } }"""
PERSONAL = """subscription { caseChanges { case { loan { guarantees {
  guarantor { ... on Person { name } } } } } } }"""
MOVE = """mutation M($id: ID!, $move: CaseMove!) { transitionCase(input: {caseId: $id,
  move: $move, reason: "disputed"}) { __typename } }"""


@pytest.fixture
def stores(tmp_path: Path) -> Stores:
    """The tiny portfolio on SQLite only (these tests are about the transport)."""
    engine = create_sql_engine(f"sqlite:///{tmp_path / 'lw.db'}")
    migrate(engine)
    pair = Stores(EmbeddedGraphStore(engine), engine, "embedded-sqlite")
    seed(pair, tmp_path / "seed")
    return pair


def _app(stores: Stores, feed: LocalCaseFeed) -> ASGIApp:
    settings = Settings.from_environ({"LOANWATCH_ENVIRONMENT": "development"})
    return api_app(settings, stores.graph, stores.engine, case_feed=feed)


async def _subscribe(address: str, query: str, variables: dict[str, Any],
                     role: Role = Role.MANAGER) -> ClientConnection:
    socket = await connect(f"ws://{address}/graphql", subprotocols=["graphql-transport-ws"])
    await socket.send(json.dumps({"type": "connection_init",
                                  "payload": {"Authorization": auth_header(role)[
                                      "authorization"]}}))
    assert json.loads(await socket.recv())["type"] == "connection_ack"
    await socket.send(json.dumps({"id": "1", "type": "subscribe", "payload": {
        "query": query, "variables": variables}}))
    return socket


async def _post(address: str, query: str, **variables: Any) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=f"http://{address}") as http:
        response = await http.post("/graphql", json={"query": query, "variables": variables},
                                   headers=auth_header(Role.COLLECTOR))
    return response.json()  # type: ignore[no-any-return]


async def _next(socket: ClientConnection) -> dict[str, Any]:
    message = json.loads(await asyncio.wait_for(socket.recv(), WAIT_S))
    assert message["type"] == "next", message
    return message["payload"]  # type: ignore[no-any-return]


def test_a_move_over_http_and_the_daily_run_reach_the_subscribers_who_asked(
        world: Stores) -> None:
    feed = LocalCaseFeed()

    async def scenario(address: str) -> tuple[dict[str, Any], ...]:
        everything = await _subscribe(address, WATCH, {})
        moves_only = await _subscribe(address, WATCH, {"events": ["moved"]})
        await asyncio.to_thread(wait_until, lambda: feed.subscriber_count == 2,
                                "both subscriptions listen")
        answer = await _post(address, MOVE, id=CASE_ID, move="HOLD")
        assert answer == {"data": {"transitionCase": {"__typename": "CaseTransitioned"}}}
        held = await _next(everything)
        await asyncio.to_thread(run_collections, world.engine, date(2025, 4, 18),
                                audit=ListAuditSink(), feed=feed)
        moved = await _next(everything)
        only = await _next(moves_only)
        await everything.close()
        await moves_only.close()
        return held, moved, only

    with serving(_app(world, feed)) as address:
        held, moved, only = asyncio.run(scenario(address))

    assert held == {"data": {"caseChanges": {
        "event": "held", "fromState": "open", "actor": "user:collector-user",
        "case": {"caseId": CASE_ID, "state": "on_hold", "bucket": "31-60",
                 "borrower": {"id": "C1"}}}}}
    assert moved == {"data": {"caseChanges": {
        "event": "moved", "fromState": "on_hold", "actor": "system",
        "case": {"caseId": CASE_ID, "state": "on_hold", "bucket": "61-90",
                 "borrower": {"id": "C1"}}}}}
    assert only == moved


def test_personal_data_in_a_change_is_masked_unless_the_subscriber_may_read_it(
        world: Stores) -> None:
    feed = LocalCaseFeed()

    async def scenario(address: str) -> tuple[dict[str, Any], dict[str, Any]]:
        analyst = await _subscribe(address, PERSONAL, {}, Role.ANALYST)
        manager = await _subscribe(address, PERSONAL, {}, Role.MANAGER)
        await asyncio.to_thread(wait_until, lambda: feed.subscriber_count == 2,
                                "both subscriptions listen")
        await _post(address, MOVE, id=CASE_ID, move="HOLD")
        heard = await _next(analyst), await _next(manager)
        await analyst.close()
        await manager.close()
        return heard

    with serving(_app(world, feed)) as address:
        masked, clear = asyncio.run(scenario(address))

    def name(payload: dict[str, Any]) -> str:
        return payload["data"]["caseChanges"]["case"]["loan"]["guarantees"][0][
            "guarantor"]["name"]

    assert name(clear) == "Zhang Wei"
    assert name(masked) == "Zhang *"


def test_a_change_made_through_one_instance_reaches_the_subscribers_of_another(
        world: Stores, redis_url: str) -> None:
    channel = f"loanwatch:test:{uuid.uuid4().hex}"
    listening = RedisCaseFeed(redis_url, channel=channel)
    writing = RedisCaseFeed(redis_url, channel=channel)

    async def scenario(listen_at: str, write_at: str) -> dict[str, Any]:
        socket = await _subscribe(listen_at, WATCH, {})
        await asyncio.to_thread(wait_until, lambda: listening.subscriber_count == 1,
                                "the subscription listens")
        await _post(write_at, MOVE, id=CASE_ID, move="HOLD")
        heard = await _next(socket)
        await socket.close()
        return heard

    with serving(_app(world, listening)) as listen_at, \
            serving(_app(world, writing)) as write_at:
        heard = asyncio.run(scenario(listen_at, write_at))

    assert heard["data"]["caseChanges"]["event"] == "held"
    assert heard["data"]["caseChanges"]["case"]["state"] == "on_hold"


def test_the_redis_case_feed_round_trips_a_change_and_skips_a_malformed_one(
        redis_url: str) -> None:
    feed = RedisCaseFeed(redis_url, channel=f"loanwatch:test:{uuid.uuid4().hex}")
    change = CaseChange(case_id=CASE_ID, loan_id="L1", event="cured", from_state="open",
                        state="cured", bucket="current", segment="low/small/paying",
                        actor="system", at="2025-06-01T00:00:00+00:00")

    async def scenario() -> CaseChange:
        async with feed.subscribe() as changes:
            feed._publisher.publish(feed._channel, b"{}")
            await asyncio.to_thread(feed.publish, change)
            heard = await asyncio.wait_for(anext(changes), WAIT_S)
        await feed.aclose()
        return heard

    assert asyncio.run(scenario()) == change


def test_a_subscription_with_an_unknown_event_is_refused_with_a_code(world: Stores) -> None:
    async def scenario(address: str) -> dict[str, Any]:
        socket = await _subscribe(address, WATCH, {"events": ["asleep"]})
        message = json.loads(await asyncio.wait_for(socket.recv(), WAIT_S))
        await socket.close()
        return message  # type: ignore[no-any-return]

    with serving(_app(world, LocalCaseFeed())) as address:
        message = asyncio.run(scenario(address))

    payload = message["payload"]
    errors = payload if isinstance(payload, list) else payload.get("errors")
    assert errors[0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert "asleep" in errors[0]["message"]
