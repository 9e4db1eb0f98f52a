"""Real servers the channel tests talk to: an SMTP server (aiosmtpd) and an HTTP gateway
(the standard library's ``http.server`` on a thread), each on a free local port, each
answering as a test tells it (success, a transient or a permanent refusal)."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller

__all__ = ["Gateway", "GatewayRequest", "SmtpSink", "free_port", "gateway", "smtp_server"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class SmtpSink:
    """What the SMTP server received, and what it answers to DATA (``None``: 250 OK)."""

    port: int = 0
    answer: str | None = None
    received: list[Any] = field(default_factory=list)
    attempts: int = 0

    async def handle_DATA(self, server: object, session: object, envelope: Any) -> str:
        self.attempts += 1
        if self.answer is not None:
            return self.answer
        self.received.append(envelope)
        return "250 OK"


@contextmanager
def smtp_server(answer: str | None = None) -> Iterator[SmtpSink]:
    """A real SMTP server on 127.0.0.1 for the block."""
    sink = SmtpSink(port=free_port(), answer=answer)
    controller = Controller(sink, hostname="127.0.0.1", port=sink.port)
    controller.start()
    try:
        yield sink
    finally:
        controller.stop()


@dataclass(frozen=True)
class GatewayRequest:
    path: str
    headers: dict[str, str]
    body: dict[str, Any]


@dataclass
class Gateway:
    """The HTTP gateway's record: its URL, the requests it got, and the status codes it
    answers with, in turn (the last one repeats)."""

    url: str
    statuses: list[int]
    requests: list[GatewayRequest] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def next_status(self, request: GatewayRequest) -> tuple[int, int]:
        with self.lock:
            self.requests.append(request)
            number = len(self.requests)
            status = self.statuses[min(number, len(self.statuses)) - 1]
        return status, number


@contextmanager
def gateway(*statuses: int) -> Iterator[Gateway]:
    """A real HTTP server on 127.0.0.1 for the block, answering ``statuses`` in turn
    (200 with ``{"id": "gw-N"}`` when none are given)."""
    record: Gateway

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = json.loads(self.rfile.read(length) or b"{}")
            status, number = record.next_status(GatewayRequest(
                self.path, {k.lower(): v for k, v in self.headers.items()}, body))
            answer = json.dumps({"id": f"gw-{number}"} if status < 300
                                else {"error": f"status {status}"}).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, format: str, *args: object) -> None:
            return  # quiet: the tests read ``requests``

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    record = Gateway(url=f"http://127.0.0.1:{server.server_address[1]}/send",
                     statuses=list(statuses) or [200])
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield record
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
