"""``loanwatch clients create|list|revoke``: the OAuth clients that may ask for tokens.

A client's secret is printed once, when it is created, and only its hash is kept: lose it
and create another client. Revoking a client stops its live access tokens at once.
"""

from __future__ import annotations

from datetime import UTC, datetime

import orjson
import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from auth.audit_events import AuditAction, AuditEvent
from auth.clients import OAuthClient
from auth.principal import SCOPES, Role
from loanwatch.cli.alerts import default_actor
from loanwatch.cli.oauth_wiring import oauth_server

__all__ = ["app"]

app = typer.Typer(help="OAuth clients: integrations and front ends.", no_args_is_help=True)
console = Console()

_ROLES = ", ".join(r.value for r in Role)


def _echo(document: object) -> None:
    typer.echo(orjson.dumps(document).decode())


def _when(seconds: int | None) -> str:
    if seconds is None:
        return ""
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%d %H:%M")


def _describe(client: OAuthClient) -> dict[str, object]:
    return {"client_id": client.client_id, "name": client.name,
            "type": "public" if client.public else "confidential", "role": client.role.value,
            "scope": " ".join(client.scopes), "grant_types": list(client.grant_types),
            "redirect_uris": list(client.redirect_uris),
            "created_at": _when(client.created_at), "revoked_at": _when(client.revoked_at)}


@app.command()
def create(
    name: str = typer.Option(..., "--name", help="What the client is (shown on the login "
                                                 "page)."),
    scope: str = typer.Option(..., "--scope", metavar='"S1 S2"',
                              help=f"The scopes it may ask for: {' '.join(SCOPES)}."),
    redirect_uri: list[str] = typer.Option(
        [], "--redirect-uri", metavar="URI",
        help="Where the login page may send the code back (repeat for several; matched "
             "exactly). Needed for the authorization-code grant."),
    public: bool = typer.Option(False, "--public", help="A browser front end: no secret, "
                                                        "PKCE S256 required."),
    role: str = typer.Option(Role.INTEGRATION.value, "--role", metavar="ROLE",
                             help=f"The role of its client-credentials tokens: {_ROLES}."),
    json_output: bool = typer.Option(False, "--json", help="Print "
                                     '{"client_id": ..., "client_secret": ...} only.'),
) -> None:
    """Register a client and print its id and secret (the secret only now)."""
    actor = default_actor()
    with oauth_server() as server:
        client, secret = server.clients.create(name, scope.split(),
                                               redirect_uris=redirect_uri, public=public,
                                               role=role)
        server.audit.record(AuditEvent(
            at=datetime.now(UTC), action=AuditAction.ADMINISTRATION, client_id="cli",
            user=actor, operation="clients create", targets=(client.client_id,),
            source="cli", detail={"name": client.name, "scope": " ".join(client.scopes),
                                  "public": client.public, "role": client.role.value}))
    if json_output:
        _echo({"client_id": client.client_id, "client_secret": secret})
        return
    console.print(f"client id:     {client.client_id}", highlight=False)
    if secret is None:
        console.print("client secret: none (a public client: it must use PKCE S256)")
    else:
        console.print(f"client secret: {secret}", highlight=False)
        console.print("[yellow]The secret is shown once and stored hashed: keep it now.[/]")
    console.print(f"grants: {', '.join(client.grant_types)}; scope: {' '.join(client.scopes)}",
                  highlight=False)


@app.command(name="list")
def list_(
    json_output: bool = typer.Option(False, "--json", help="Print one JSON document."),
) -> None:
    """Every client, revoked ones included (never a secret)."""
    with oauth_server() as server:
        clients = server.clients.list()
    if json_output:
        _echo([_describe(c) for c in clients])
        return
    if not clients:
        console.print("no clients; `loanwatch clients create --name NAME --scope ...` "
                      "registers one")
        return
    table = Table("client id", "name", "type", "role", "scope", "redirect URIs", "created",
                  "revoked")
    for client in clients:
        row = _describe(client)
        table.add_row(*(escape(str(row[k])) for k in ("client_id", "name", "type", "role",
                                                        "scope")),
                      escape("\n".join(client.redirect_uris)), str(row["created_at"]),
                      str(row["revoked_at"]))
    console.print(table)


@app.command()
def revoke(client_id: str = typer.Argument(..., metavar="CLIENT_ID")) -> None:
    """Revoke a client: no new tokens, and its live tokens stop working at once."""
    with oauth_server() as server:
        client = server.revoke_client(client_id, actor=default_actor())
    console.print(f"revoked {client.client_id} ({escape(client.name)}): its tokens no longer "
                  "work", highlight=False)
