"""``loanwatch users create|list``: the people who sign in on the login page.

The password is asked twice on the terminal (never on the command line, where it would be
in the shell's history and the process list), or read from the first line of standard
input with ``--password-stdin``; it is stored as an Argon2id hash.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime

import orjson
import typer
from rich.console import Console
from rich.table import Table

from auth.audit_events import AuditAction, AuditEvent
from auth.principal import Role
from loanwatch.cli.alerts import default_actor
from loanwatch.cli.oauth_wiring import oauth_server
from loanwatch.errors import ConfigurationError

__all__ = ["app"]

app = typer.Typer(help="Users who sign in on the login page.", no_args_is_help=True)
console = Console()


def _password(from_stdin: bool) -> str:
    if from_stdin:
        line = sys.stdin.readline()
        password = line.rstrip("\r\n")
        if not password:
            raise ConfigurationError("--password-stdin: standard input has no password on "
                                     "its first line")
        return password
    return str(typer.prompt("Password", hide_input=True, confirmation_prompt=True))


@app.command()
def create(
    login: str = typer.Option(..., "--login", help="The login the user types."),
    role: str = typer.Option(..., "--role", metavar="ROLE",
                             help=f"One of {', '.join(r.value for r in Role)}."),
    password_stdin: bool = typer.Option(False, "--password-stdin",
                                        help="Read the password from standard input."),
) -> None:
    """Register a user."""
    password = _password(password_stdin)
    with oauth_server() as server:
        user = server.users.create(login, role, password)
        server.audit.record(AuditEvent(
            at=datetime.now(UTC), action=AuditAction.ADMINISTRATION, client_id="cli",
            user=default_actor(), operation="users create", targets=(user.login,),
            source="cli", detail={"role": user.role.value}))
    console.print(f"user {user.login} ({user.role.value}) created", highlight=False)


@app.command(name="list")
def list_(json_output: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Every user and their role."""
    with oauth_server() as server:
        users = server.users.list()
    if json_output:
        typer.echo(orjson.dumps([{"login": u.login, "role": u.role.value} for u in users])
                   .decode())
        return
    table = Table("login", "role", "created")
    for user in users:
        table.add_row(user.login, user.role.value,
                      datetime.fromtimestamp(user.created_at, UTC).strftime("%Y-%m-%d"))
    console.print(table)
