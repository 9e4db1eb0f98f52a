"""What the OAuth commands share: the authorization server of the settings, and where
their audit events go."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from api.app import oauth_server_from_settings
from auth.audit_events import AuditSink
from auth.authorization_server import OAuthServer
from auth.logging_sink import LoggingAuditSink
from loanwatch.settings import Settings
from loanwatch.wiring import create_engine_from_settings

__all__ = ["cli_audit_sink", "oauth_server"]


def cli_audit_sink() -> AuditSink:
    """Where the commands' ADMINISTRATION events go (the ``loanwatch.audit`` logger until
    the tamper-evident trail is wired here)."""
    return LoggingAuditSink()


@contextmanager
def oauth_server(settings: Settings | None = None) -> Iterator[OAuthServer]:
    """The authorization server on the configured database (migrated), for one command."""
    settings = settings or Settings.from_environ()
    engine = create_engine_from_settings(settings)
    server = oauth_server_from_settings(settings, engine, cli_audit_sink())
    try:
        yield server
    finally:
        server.revocations.close()
        engine.dispose()
