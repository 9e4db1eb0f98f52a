"""``loanwatch signing-keys rotate|list``: the keys that sign access tokens.

Rotating makes a new key that signs from now on; the old one stays published (at
``/.well-known/jwks.json``, and to every API process) until the last token it signed has
expired, so no live token breaks. Every process picks up the new key within
``auth.authorization_server.KEY_RELOAD_S`` seconds.
"""

from __future__ import annotations

from datetime import UTC, datetime

import orjson
import typer
from rich.console import Console
from rich.table import Table

from auth.audit_events import AuditAction, AuditEvent
from auth.authorization_server import rotation_overlap_s
from auth.signing_keys import SigningKey
from loanwatch.cli.alerts import default_actor
from loanwatch.cli.oauth_wiring import oauth_server
from loanwatch.settings import Settings

__all__ = ["app"]

app = typer.Typer(help="The keys that sign access tokens.", no_args_is_help=True)
console = Console()


def _when(seconds: int | None) -> str:
    return "" if seconds is None else \
        datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%d %H:%M:%S")


def _status(key: SigningKey, now: int) -> str:
    if key.active:
        return "signing"
    if key.publish_until is not None and key.publish_until > now:
        return f"retired, published until {_when(key.publish_until)}"
    return "retired"


@app.command()
def rotate() -> None:
    """Make a new signing key; the old one stays published while its tokens live."""
    settings = Settings.from_environ()
    keep = rotation_overlap_s(settings.oauth_access_token_ttl_s)
    with oauth_server(settings) as server:
        old = server.stores.keys.active()
        new = server.stores.keys.rotate(keep_published_s=keep)
        server.audit.record(AuditEvent(
            at=datetime.now(UTC), action=AuditAction.ADMINISTRATION, client_id="cli",
            user=default_actor(), operation="signing-keys rotate", targets=(new.kid,),
            source="cli", detail={"retired": old.kid, "published_for_s": keep}))
    console.print(f"new signing key {new.kid}; {old.kid} stays published for {keep} s",
                  highlight=False)


@app.command(name="list")
def list_(json_output: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Every signing key, newest first (public parts only)."""
    with oauth_server() as server:
        keys = server.stores.keys.list()
        now = server.now()
    if json_output:
        typer.echo(orjson.dumps([{"kid": k.kid, "algorithm": k.algorithm,
                                  "created_at": _when(k.created_at),
                                  "status": _status(k, now)} for k in keys]).decode())
        return
    if not keys:
        console.print("no signing key yet: the first token made will make one")
        return
    table = Table("kid", "algorithm", "created", "status")
    for key in keys:
        table.add_row(key.kid, key.algorithm, _when(key.created_at), _status(key, now))
    console.print(table)
