"""The app factory mounts the authorization server, configured by the settings."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from api import create_app
from graph.stores.embedded import EmbeddedGraphStore
from loanwatch.errors import ConfigurationError
from loanwatch.migrations import migrate
from loanwatch.settings import Settings
from portfolio.database import create_sql_engine
from tests.api.client import ApiClient
from tests.auth.oauth_fixtures import ListAuditSink


def test_create_app_serves_the_oauth_endpoints(tmp_path: Path) -> None:
    engine = create_sql_engine(f"sqlite:///{tmp_path / 'lw.db'}")
    migrate(engine)
    settings = Settings.from_environ({"LOANWATCH_OAUTH_ISSUER": "https://lw.example",
                                      "LOANWATCH_OAUTH_AUDIENCE": "lw-test"})
    audit = ListAuditSink()
    app = create_app(settings, EmbeddedGraphStore(engine), engine, audit=audit)
    client = ApiClient(app)
    metadata = client.get("/.well-known/oauth-authorization-server").json()
    assert metadata["issuer"] == "https://lw.example"
    assert metadata["token_endpoint"] == "https://lw.example/oauth/token"
    server = app.state.oauth
    registered, secret = server.clients.create("integration", ["portfolio:read"])
    assert secret is not None
    token = client.post("/oauth/token", data={"grant_type": "client_credentials"},
                        auth=(registered.client_id, secret))
    assert token.status_code == 200, token.text
    claims = server.verifier.claims(token.json()["access_token"])
    assert claims["aud"] == "lw-test" and claims["iss"] == "https://lw.example"
    assert [e.detail["outcome"] for e in audit.events] == ["issued"]
    engine.dispose()


def test_an_issuer_without_tls_is_refused_at_start_up(tmp_path: Path) -> None:
    engine = create_sql_engine(f"sqlite:///{tmp_path / 'lw.db'}")
    settings = Settings.from_environ({"LOANWATCH_HOST": "0.0.0.0"})
    with pytest.raises(ConfigurationError, match=re.escape(
            "the OAuth issuer http://0.0.0.0:8000 is neither https nor http on a loopback")):
        create_app(settings, EmbeddedGraphStore(engine), engine)
    engine.dispose()
