"""Persisted documents over graphql-transport-ws, against a real uvicorn: a ``subscribe``
names a registered document by its hash (Apollo's ``persistedQuery``, Relay's
``documentId``), and in persisted-only mode anything else is refused with an ``error``
message worded and coded as over HTTP."""

from __future__ import annotations

import asyncio
import hashlib
from pathlib import Path
from typing import Any

import pytest

from portfolio.persisted_documents import register_documents
from risk.alerts.feed import LocalAlertFeed
from tests.api.apps import auth_header
from tests.api.client import ApiClient
from tests.api.server import wait_until
from tests.api.websockets import (
    app_on,
    init,
    migrated_stores,
    receive,
    served,
    settings_of,
    subscribe,
)
from tests.principals import Role
from tests.writes.conftest import Stores

LOAN = 'query Loan { loan(id: "L1") { id } }'
LOAN_HASH = hashlib.sha256(LOAN.encode()).hexdigest()
WATCH = "subscription Watch { alertChanges { change } }"
WATCH_HASH = hashlib.sha256(WATCH.encode()).hexdigest()
UNREGISTERED = "query Other { __typename }"
UNKNOWN_HASH = "ab" * 32


@pytest.fixture
def stores(tmp_path: Path) -> Stores:
    stores = migrated_stores(tmp_path)
    register_documents(stores.engine, [(LOAN, "Loan"), (WATCH, "Watch")])
    return stores


def _persisted(sha256: str) -> dict[str, Any]:
    return {"extensions": {"persistedQuery": {"version": 1, "sha256Hash": sha256}}}


def _http_error(stores: Stores, only_registered: bool, body: dict[str, Any]) -> dict[str, Any]:
    """The one error HTTP answers ``body`` with, on the same settings."""
    settings = settings_of(LOANWATCH_ONLY_REGISTERED_DOCUMENTS=str(only_registered).lower())
    api = ApiClient(app_on(stores, settings), headers=auth_header(Role.MANAGER))
    [error] = api.post("/graphql", json=body).json()["errors"]
    return {"message": error["message"], "code": error["extensions"]["code"]}


def _ws_error(message: dict[str, Any]) -> dict[str, Any]:
    assert message["type"] == "error", message
    [error] = message["payload"]
    return {"message": error["message"], "code": error["extensions"]["code"]}


@pytest.mark.parametrize("only_registered", [False, True])
def test_a_registered_document_runs_over_websocket_by_its_hash(
        stores: Stores, only_registered: bool) -> None:
    feed = LocalAlertFeed()
    settings = settings_of(LOANWATCH_ONLY_REGISTERED_DOCUMENTS=str(only_registered).lower())
    app = app_on(stores, settings, alert_feed=feed)

    async def scenario(url: str) -> list[dict[str, Any]]:
        socket = await init(url)
        await subscribe(socket, "apollo", **_persisted(LOAN_HASH))
        by_apollo = [await receive(socket), await receive(socket)]
        await subscribe(socket, "relay", documentId=f"sha256:{LOAN_HASH}")
        by_relay = [await receive(socket), await receive(socket)]
        await subscribe(socket, "ext", extensions={"documentId": LOAN_HASH})
        by_extension = [await receive(socket), await receive(socket)]
        await subscribe(socket, "watch", **_persisted(WATCH_HASH))
        await asyncio.to_thread(wait_until, lambda: feed.subscriber_count == 1,
                                "the subscription named by its hash listens")
        await socket.close()
        return [*by_apollo, *by_relay, *by_extension]

    with served(app) as url:
        messages = asyncio.run(scenario(url))

    assert [(m["id"], m["type"]) for m in messages] == [
        ("apollo", "next"), ("apollo", "complete"), ("relay", "next"), ("relay", "complete"),
        ("ext", "next"), ("ext", "complete")]
    assert {str(m["payload"]) for m in messages if m["type"] == "next"} == {
        str({"data": {"loan": {"id": "L1"}}})}


@pytest.mark.parametrize(("only_registered", "payload", "code"), [
    (False, _persisted(UNKNOWN_HASH), "PERSISTED_QUERY_NOT_FOUND"),
    (True, _persisted(UNKNOWN_HASH), "PERSISTED_QUERY_NOT_FOUND"),
    (True, {"query": UNREGISTERED}, "PERSISTED_QUERY_NOT_ALLOWED"),
    (True, {"query": UNREGISTERED,
            **_persisted(hashlib.sha256(UNREGISTERED.encode()).hexdigest())},
     "PERSISTED_QUERY_NOT_ALLOWED"),
    (False, {"query": LOAN, **_persisted(UNKNOWN_HASH)}, "BAD_REQUEST"),
    (False, _persisted("not-a-hash"), "BAD_REQUEST"),
], ids=["unknown-hash", "unknown-hash-production", "inline-production",
        "hash-and-text-production", "hash-not-the-text", "malformed-hash"])
def test_a_refused_document_gets_an_error_message_as_over_http(
        stores: Stores, only_registered: bool, payload: dict[str, Any], code: str) -> None:
    settings = settings_of(LOANWATCH_ONLY_REGISTERED_DOCUMENTS=str(only_registered).lower())
    app = app_on(stores, settings)

    async def scenario(url: str) -> list[dict[str, Any]]:
        socket = await init(url)
        await subscribe(socket, "refused", **payload)
        refused = await receive(socket)
        await subscribe(socket, "after", **_persisted(LOAN_HASH))
        after = await receive(socket)
        await socket.close()
        return [refused, after]

    with served(app) as url:
        refused, after = asyncio.run(scenario(url))

    assert refused["id"] == "refused"
    assert _ws_error(refused) == _http_error(stores, only_registered, payload)
    assert _ws_error(refused)["code"] == code
    assert after == {"id": "after", "type": "next",
                     "payload": {"data": {"loan": {"id": "L1"}}}}, "the connection goes on"


def test_a_registered_text_runs_in_persisted_only_mode_and_no_document_is_a_bad_request(
        stores: Stores) -> None:
    app = app_on(stores, settings_of(LOANWATCH_ONLY_REGISTERED_DOCUMENTS="true"))

    async def scenario(url: str) -> list[dict[str, Any]]:
        socket = await init(url)
        await subscribe(socket, "text", query=LOAN)
        text = await receive(socket)
        assert (await receive(socket))["type"] == "complete"
        await subscribe(socket, "empty", variables={})
        empty = await receive(socket)
        await socket.close()
        return [text, empty]

    with served(app) as url:
        text, empty = asyncio.run(scenario(url))

    assert text["payload"] == {"data": {"loan": {"id": "L1"}}}
    assert _ws_error(empty)["code"] == "BAD_REQUEST"
    assert "payload.query" in _ws_error(empty)["message"]
