"""What ``loanwatch demo`` prints lets a newcomer in: the client's secret gets a token, the
users' passwords sign in, and a second run makes what the first printed obsolete."""

from __future__ import annotations

import asyncio

from sqlalchemy import Engine

from auth.principal import Role
from loanwatch.cli.demo_access import DEMO_CLIENT_NAME, demo_access
from loanwatch.settings import Settings
from tests.auth.oauth_fixtures import Clock, ListAuditSink, OAuthClient, server_on


def test_the_demo_credentials_work_and_a_rerun_replaces_them(database: Engine) -> None:
    settings = Settings.from_environ({})
    first = demo_access(settings, database)
    assert "-u '" in first.curl() and "/oauth/token" in first.curl()
    server = server_on(database, ListAuditSink(), Clock())
    http = OAuthClient(server)
    token = http.token({"grant_type": "client_credentials"},
                       auth=(first.client_id, first.client_secret))
    assert token.status_code == 200, token.text
    principal = asyncio.run(server.verifier.verify(token.json()["access_token"]))
    assert principal.role is Role.INTEGRATION
    assert [(login, role) for login, role, _ in first.users] == [
        ("demo-analyst", Role.ANALYST), ("demo-investigator", Role.INVESTIGATOR)]
    for login, role, password in first.users:
        user = server.users.authenticate(login, password)
        assert user is not None and user.role is role

    second = demo_access(settings, database)
    assert second.client_id != first.client_id
    refused = http.token({"grant_type": "client_credentials"},
                         auth=(first.client_id, first.client_secret))
    assert refused.status_code == 401
    # Both may be created within one second (list() orders by time, then by id): by id.
    assert {c.client_id: c.revoked for c in server.clients.list()
            if c.name == DEMO_CLIENT_NAME} == {first.client_id: True, second.client_id: False}
    login, _, old_password = first.users[0]
    assert server.users.authenticate(login, old_password) is None
    server.revocations.close()
