"""Builds the authorization server and its stores from plain values (the entry points
read the settings and call :func:`open_oauth_server`)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine

from auth.audit_events import AuditSink
from auth.authorization_codes import AuthorizationCodes
from auth.authorization_server import OAuthServer, OAuthSettings, OAuthStores
from auth.clients import ClientStore
from auth.credentials import Passwords
from auth.refresh_tokens import RefreshTokens
from auth.revocations import Revocations
from auth.signing_keys import SigningKeyStore, TextSealer
from auth.throttle import DEFAULT_FAILURE_LIMIT, FailureThrottle
from auth.users import UserStore

__all__ = ["open_oauth_server"]


def open_oauth_server(
    engine: Engine,
    settings: OAuthSettings,
    *,
    audit: AuditSink,
    redis_url: str | None = None,
    passwords: Passwords | None = None,
    failure_limit: str = DEFAULT_FAILURE_LIMIT,
    clock: Callable[[], float] = time.time,
    sealer: TextSealer | None = None,
) -> OAuthServer:
    """The authorization server on ``engine`` (migrated). Nothing is read yet.

    With ``redis_url``, revocations reach every process through Redis once
    ``server.revocations.start()`` is called (a listening thread; ``close()`` it at
    shutdown), and the failed-attempt counts are shared there; without, the revocation
    table is polled and the counts are per process. ``sealer`` (the personal-data vault)
    seals the signing keys' private keys; the entry points always pass it.
    """
    redis_client: Any = None
    storage: Any = None
    if redis_url is not None:
        import redis
        from limits.storage import storage_from_string

        redis_client = redis.Redis.from_url(redis_url, health_check_interval=10)
        storage = storage_from_string(redis_url)
    revocations = Revocations(engine, redis=redis_client, clock=clock)
    stores = OAuthStores(
        clients=ClientStore(engine, clock=clock),
        users=UserStore(engine, passwords or Passwords(), clock=clock),
        codes=AuthorizationCodes(engine, clock=clock),
        refresh_tokens=RefreshTokens(engine, clock=clock),
        keys=SigningKeyStore(engine, clock=clock, sealer=sealer),
        revocations=revocations,
        throttle=FailureThrottle(storage, limit=failure_limit, clock=clock),
    )
    return OAuthServer(stores, settings, audit=audit, clock=clock)
