"""The app served by a real uvicorn in a thread, for tests that need real sockets: a
client that hangs up, several clients at once."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import uvicorn
from starlette.types import ASGIApp

#: Generous bound for anything a test waits for; reaching it fails the test.
WAIT_S = 20.0


def wait_until(condition: Callable[[], bool], what: str, timeout_s: float = WAIT_S) -> None:
    """Return once ``condition()`` holds; fail naming ``what`` after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting until {what}")
        time.sleep(0.01)


@contextmanager
def serving(app: ASGIApp, *, ws: str = "none", lifespan: str = "off"
            ) -> Iterator[tuple[str, int]]:
    """Serve ``app`` on a free loopback port; yields ``(host, port)``. ``ws``: uvicorn's
    WebSocket implementation ("none", or "websockets" for the tests that need them);
    ``lifespan="on"`` runs the app's start-up and shut-down, as ``loanwatch serve`` does."""
    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning",
                            lifespan=lifespan, ws=ws, http="h11")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="uvicorn", daemon=True)
    thread.start()
    try:
        wait_until(lambda: server.started, "the server started")
        port = server.servers[0].sockets[0].getsockname()[1]
        yield "127.0.0.1", port
    finally:
        server.should_exit = True
        thread.join(WAIT_S)
