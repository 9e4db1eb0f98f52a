"""The demo's way in: an OAuth client and two users, printed with a curl that gets a token.

Each run of ``loanwatch demo`` revokes the previous demo client and makes a new one (a
secret is shown only when it is made), and gives the demo users new passwords, so what is
printed always works.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Final

from rich.console import Console
from sqlalchemy import Engine

from api.oauth.routes import DEMO_CALLBACK_PATH
from auth.audit_events import AuditAction, AuditEvent
from auth.principal import Role
from loanwatch.cli.oauth_wiring import oauth_server_on
from loanwatch.settings import Settings

__all__ = ["DEMO_CLIENT_NAME", "DEMO_SCOPE", "DEMO_USERS", "DemoAccess", "demo_access"]

DEMO_CLIENT_NAME: Final = "loanwatch demo"
DEMO_SCOPE: Final = "portfolio:read personal:read records:write alerts:write"
#: The demo's users: one who sees personal data masked, one who sees it in clear.
DEMO_USERS: Final = (("demo-analyst", Role.ANALYST), ("demo-investigator", Role.INVESTIGATOR))


class DemoAccess:
    """What the demo prints: the client, its secret, the users and their passwords."""

    def __init__(self, issuer: str, client_id: str, client_secret: str,
                 users: list[tuple[str, Role, str]]) -> None:
        self.issuer = issuer
        self.client_id = client_id
        self.client_secret = client_secret
        self.users = users

    @property
    def redirect_uri(self) -> str:
        return self.issuer + DEMO_CALLBACK_PATH

    def curl(self) -> str:
        """A curl that gets an access token with the client's own credentials."""
        return (f"curl -s -u '{self.client_id}:{self.client_secret}' "
                f"-d grant_type=client_credentials -d scope=portfolio:read "
                f"{self.issuer}/oauth/token")

    def print(self, console: Console) -> None:
        console.print("\n[bold]Getting a token[/] (README, \"Getting a token\")")
        console.print(f"  client id:     {self.client_id}", highlight=False)
        console.print(f"  client secret: {self.client_secret}", highlight=False)
        for login, role, password in self.users:
            console.print(f"  user {login} ({role.value}): password {password}",
                          highlight=False)
        console.print(f"  redirect URI:  {self.redirect_uri}", highlight=False)
        console.print("  an integration's token (role integration):", highlight=False)
        console.print(f"    {self.curl()}", highlight=False, soft_wrap=True)
        console.print("  a user's token: sign in at "
                      f"{self.issuer}/oauth/authorize?response_type=code&client_id="
                      f"{self.client_id}&redirect_uri={self.redirect_uri} (or the curl "
                      "lines of the README), then exchange the code", highlight=False,
                      soft_wrap=True)


def demo_access(settings: Settings, engine: Engine) -> DemoAccess:
    """Make the demo client (revoking the previous one) and (re)set the demo users."""
    with oauth_server_on(settings, engine) as server:
        for old in server.clients.list():
            if old.name == DEMO_CLIENT_NAME and not old.revoked:
                server.revoke_client(old.client_id, actor="demo")
        issuer = settings.resolved_oauth_issuer
        client, secret = server.clients.create(
            DEMO_CLIENT_NAME, DEMO_SCOPE.split(),
            redirect_uris=[issuer + DEMO_CALLBACK_PATH], role=Role.INTEGRATION)
        assert secret is not None  # a confidential client
        users = []
        for login, role in DEMO_USERS:
            password = secrets.token_urlsafe(12)
            if server.users.get(login) is None:
                server.users.create(login, role, password)
            else:
                server.users.set_password(login, password)
            users.append((login, role, password))
        server.audit.record(AuditEvent(
            at=datetime.now(UTC), action=AuditAction.ADMINISTRATION, client_id="cli",
            user="demo", operation="demo access", targets=(client.client_id,),
            source="cli", detail={"users": [u[0] for u in users]}))
        return DemoAccess(issuer, client.client_id, secret, users)
