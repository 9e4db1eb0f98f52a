"""What the OAuth tests share: a list-backed audit sink, a clock the tests move, an HTTP
client for the endpoints (with a chosen source address), and the server on each SQL
backend."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from sqlalchemy import Engine
from starlette.applications import Starlette

from api.oauth import oauth_routes
from auth.authorization_server import OAuthServer, OAuthSettings
from auth.credentials import Passwords
from auth.principal import Role
from auth.server_factory import open_oauth_server
from graph.vault import PersonalDataVault
from tests.principals import ListAuditSink

__all__ = ["ISSUER", "Clock", "ListAuditSink", "OAuthClient", "pkce_pair", "server_on"]

ISSUER = "http://127.0.0.1:8000"
AUDIENCE = "loanwatch-api"
ACCESS_TTL_S = 600
REFRESH_TTL_S = 3600
#: Cheap Argon2id parameters: the tests hash many passwords.
CHEAP_PASSWORDS = Passwords(time_cost=1, memory_cost_kib=8, parallelism=1)
FAILURE_LIMIT = "5 per 5 minutes"


@dataclass
class Clock:
    """Seconds since the epoch, moved by the tests."""

    now: float = 1_900_000_000.0

    def __call__(self) -> float:
        return self.now


def server_on(engine: Engine, audit: ListAuditSink, clock: Clock, *,
              redis_url: str | None = None) -> OAuthServer:
    return open_oauth_server(
        engine, OAuthSettings(issuer=ISSUER, audience=AUDIENCE,
                              access_token_ttl_s=ACCESS_TTL_S, refresh_token_ttl_s=REFRESH_TTL_S),
        audit=audit, passwords=CHEAP_PASSWORDS, failure_limit=FAILURE_LIMIT, clock=clock,
        redis_url=redis_url, sealer=PersonalDataVault.development())


def pkce_pair() -> tuple[str, str]:
    """A PKCE verifier and its S256 challenge."""
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    return verifier, challenge.rstrip(b"=").decode()


@dataclass
class OAuthClient:
    """Requests to the OAuth endpoints of ``server``, as from ``source``."""

    server: OAuthServer
    source: str = "127.0.0.1"
    app: Starlette = field(init=False)

    def __post_init__(self) -> None:
        self.app = Starlette(routes=oauth_routes(self.server))

    def request(self, method: str, url: str, *, source: str | None = None,
                **kwargs: Any) -> httpx.Response:
        cookies = kwargs.pop("cookies", None)

        async def send() -> httpx.Response:
            transport = httpx.ASGITransport(app=self.app, client=(source or self.source, 5000))
            async with httpx.AsyncClient(transport=transport, base_url=ISSUER,
                                         cookies=cookies) as client:
                return await client.request(method, url, **kwargs)

        return asyncio.run(send())

    def token(self, data: dict[str, str], *, auth: tuple[str, str] | None = None,
              source: str | None = None) -> httpx.Response:
        return self.request("POST", "/oauth/token", data=data, auth=auth, source=source)

    def sign_in(self, query: dict[str, str], login: str, password: str,
                *, source: str | None = None) -> httpx.Response:
        """The login page, then the form posted with its CSRF token."""
        page = self.request("GET", "/oauth/authorize", params=query, source=source)
        assert page.status_code == 200, page.text
        csrf = page.cookies["lw_csrf"]
        return self.request("POST", "/oauth/authorize", params=query, source=source,
                            data={"csrf_token": csrf, "login": login, "password": password},
                            cookies={"lw_csrf": csrf})

    def code_from(self, response: httpx.Response) -> str:
        assert response.status_code == 302, response.text
        return parse_qs(urlsplit(response.headers["location"]).query)["code"][0]


@dataclass
class OAuthWorld:
    """A server, its audit sink and clock, a client, and a registered front end + user."""

    server: OAuthServer
    audit: ListAuditSink
    clock: Clock
    http: OAuthClient

    def integration(self, scopes: str = "portfolio:read personal:read",
                    role: Role = Role.INTEGRATION) -> tuple[str, str]:
        client, secret = self.server.clients.create("integration", scopes.split(), role=role)
        assert secret is not None
        return client.client_id, secret

    def front_end(self, *, public: bool = True,
                  redirect_uri: str = "http://127.0.0.1:3000/callback",
                  scopes: str = "portfolio:read personal:read") -> tuple[str, str | None]:
        client, secret = self.server.clients.create(
            "risk console", scopes.split(), redirect_uris=[redirect_uri], public=public)
        return client.client_id, secret

    def user(self, login: str = "ana", role: Role = Role.INVESTIGATOR,
             password: str = "correct horse battery") -> tuple[str, str]:
        self.server.users.create(login, role, password)
        return login, password


@pytest.fixture
def world(database: Engine) -> Iterator[OAuthWorld]:
    """The OAuth server on each SQL backend (migrated, empty)."""
    audit, clock = ListAuditSink(), Clock()
    server = server_on(database, audit, clock)
    yield OAuthWorld(server=server, audit=audit, clock=clock, http=OAuthClient(server))
    server.revocations.close()
