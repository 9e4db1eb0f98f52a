"""A synchronous HTTP client for an ASGI app, over httpx's ASGI transport.

Starlette's ``TestClient`` now warns unless ``httpx2`` is installed (and warnings are
errors here), so requests go through ``httpx.ASGITransport`` directly; each runs in its
own event loop, as a fresh request to a running server would.
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
from starlette.types import ASGIApp

BASE_URL = "http://127.0.0.1:8000"


class ApiClient:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        async def send() -> httpx.Response:
            transport = httpx.ASGITransport(app=self.app)
            async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as client:
                return await client.request(method, url, **kwargs)

        return asyncio.run(send())

    def get(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("POST", url, **kwargs)
