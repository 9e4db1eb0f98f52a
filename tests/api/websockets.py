"""What the WebSocket tests share: the API on migrated stores under a real uvicorn with
WebSockets, and a small graphql-transport-ws client over the ``websockets`` library."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from auth.principal import Role
from loanwatch.settings import Settings
from tests.api.apps import api_app, auth_header
from tests.api.server import WAIT_S, serving
from tests.writes.conftest import Stores

__all__ = ["closed_with", "init", "migrated_stores", "open_socket", "receive", "served",
           "settings_of", "subscribe"]


def migrated_stores(folder: Path) -> Stores:
    """The writes' seed portfolio on a migrated SQLite file in ``folder`` (the alerts and
    persisted documents tables included)."""
    from graph.stores.embedded import EmbeddedGraphStore
    from loanwatch.migrations import migrate
    from portfolio.database import create_sql_engine
    from tests.writes.conftest import seed

    engine = create_sql_engine(f"sqlite:///{folder / 'lw.db'}")
    migrate(engine)
    stores = Stores(EmbeddedGraphStore(engine), engine, "embedded-sqlite")
    seed(stores, folder / "seed")
    return stores


def settings_of(**variables: str) -> Settings:
    """Development settings with ``variables`` (``LOANWATCH_`` names) on top."""
    return Settings.from_environ({"LOANWATCH_ENVIRONMENT": "development",
                                  "LOANWATCH_IDENTIFIER_KEY": "k" * 32, **variables})


@contextmanager
def served(app: Starlette) -> Iterator[str]:
    """``app`` under uvicorn with WebSockets; yields its ``ws://`` URL of /graphql."""
    with serving(app, ws="websockets-sansio") as (host, port):
        yield f"ws://{host}:{port}/graphql"


def app_on(stores: Stores, settings: Settings, **options: Any) -> Starlette:
    return api_app(settings, stores.graph, stores.engine, **options)


async def open_socket(url: str, headers: Mapping[str, str] | None = None) -> ClientConnection:
    return await connect(url, subprotocols=["graphql-transport-ws"],
                         additional_headers=dict(headers or {}), open_timeout=WAIT_S)


async def receive(socket: ClientConnection) -> dict[str, Any]:
    return json.loads(await asyncio.wait_for(socket.recv(), WAIT_S))  # type: ignore[no-any-return]


async def init(url: str, role: Role = Role.MANAGER, *, token: str | None = None
               ) -> ClientConnection:
    """A connection acknowledged for ``role`` (or the bearer ``token`` given)."""
    socket = await open_socket(url)
    authorization = f"Bearer {token}" if token else auth_header(role)["authorization"]
    await socket.send(json.dumps({"type": "connection_init",
                                  "payload": {"Authorization": authorization}}))
    ack = await receive(socket)
    assert ack["type"] == "connection_ack", ack
    return socket


async def subscribe(socket: ClientConnection, operation_id: str, **payload: Any) -> None:
    await socket.send(json.dumps({"id": operation_id, "type": "subscribe",
                                  "payload": payload}))


async def closed_with(socket: ClientConnection) -> tuple[int, str]:
    """The code and reason the server closed ``socket`` with (whatever came before)."""
    try:
        while True:
            await asyncio.wait_for(socket.recv(), WAIT_S)
    except ConnectionClosed as closed:
        assert closed.rcvd is not None, "the server closed without a close frame"
        return closed.rcvd.code, closed.rcvd.reason
