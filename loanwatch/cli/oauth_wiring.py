"""What the OAuth commands share: the authorization server of the settings, its audit
events written to the tamper-evident trail (:func:`loanwatch.wiring.open_audit_trail`)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine

from api.app import oauth_server_from_settings
from auth.authorization_server import OAuthServer
from loanwatch.settings import Settings
from loanwatch.wiring import create_engine_from_settings, open_audit_trail

__all__ = ["oauth_server", "oauth_server_on"]


@contextmanager
def oauth_server_on(settings: Settings, engine: Engine) -> Iterator[OAuthServer]:
    """The authorization server on ``engine``, its events going to the audit trail, which
    is drained when the block ends."""
    trail = open_audit_trail(settings, engine)
    try:
        server = oauth_server_from_settings(settings, engine, trail)
        try:
            yield server
        finally:
            server.revocations.close()
    finally:
        trail.close()


@contextmanager
def oauth_server(settings: Settings | None = None) -> Iterator[OAuthServer]:
    """The authorization server on the configured database (migrated), for one command."""
    settings = settings or Settings.from_environ()
    engine = create_engine_from_settings(settings)
    try:
        with oauth_server_on(settings, engine) as server:
            yield server
    finally:
        engine.dispose()
