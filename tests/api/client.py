"""A synchronous HTTP client for an ASGI app, over httpx's ASGI transport.

Starlette's ``TestClient`` now warns unless ``httpx2`` is installed (and warnings are
errors here), so requests go through ``httpx.ASGITransport`` directly; each runs in its
own event loop, as a fresh request to a running server would.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

import httpx
from starlette.types import ASGIApp

from tests.api.apps import ANALYST_AUTH

BASE_URL = "http://127.0.0.1:8000"


class ApiClient:
    """Requests to ``app``, each with ``headers`` (by default an analyst's token) unless the
    request's own headers replace them."""

    def __init__(self, app: ASGIApp, headers: Mapping[str, str] = ANALYST_AUTH) -> None:
        self.app = app
        self.headers = dict(headers)

    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        kwargs["headers"] = {**self.headers, **(kwargs.get("headers") or {})}

        async def send() -> httpx.Response:
            transport = httpx.ASGITransport(app=self.app, client=("10.1.2.3", 40000))
            async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as client:
                return await client.request(method, url, **kwargs)

        return asyncio.run(send())

    def get(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("POST", url, **kwargs)
