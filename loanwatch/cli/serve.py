"""``loanwatch serve``: the GraphQL API (with GraphiQL) on this machine.

The API has no authentication yet (OAuth comes in a later issue), so it listens on the
loopback interface only. Binding any other address needs ``--allow-remote``, which warns
that anyone who reaches the port can read the whole portfolio.
"""

from __future__ import annotations

import ipaddress
import socket

import typer
import uvicorn
from rich.console import Console
from sqlalchemy import Engine

from api.app import GRAPHQL_PATH, HEALTHZ_PATH, READYZ_PATH, create_app
from graph.store import GraphStore
from loanwatch.cli.graphiql_links import base_url
from loanwatch.errors import ConfigurationError
from loanwatch.settings import Settings
from loanwatch.wiring import open_stores

__all__ = ["check_bind_host", "check_port_free", "describe_limits", "is_loopback", "run_server",
           "serve"]

console = Console()
err_console = Console(stderr=True)


def is_loopback(host: str) -> bool:
    """Whether ``host`` is ``localhost`` or a loopback address (``127.0.0.0/8``, ``::1``).

    Other host names are not resolved: they count as remote.
    """
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_bind_host(host: str, *, allow_remote: bool) -> None:
    """Return when the API may listen on ``host``.

    Raises:
        ConfigurationError: ``host`` is not loopback and ``allow_remote`` is false.
    """
    if not allow_remote and not is_loopback(host):
        raise ConfigurationError(
            f"refusing to listen on {host}: the API has no authentication yet, so it "
            "listens on loopback only (127.0.0.1, ::1, localhost)",
            suggestion="use --host 127.0.0.1, or pass --allow-remote on a trusted network",
        )


def serve(
    host: str | None = typer.Option(
        None, "--host", help="Address to listen on (default: LOANWATCH_HOST, else 127.0.0.1)."
    ),
    port: int | None = typer.Option(
        None, "--port", min=1, max=65535, help="Port (default: LOANWATCH_PORT, else 8000)."
    ),
    allow_remote: bool = typer.Option(
        False, "--allow-remote",
        help="Allow a non-loopback --host. The API has no authentication yet: anyone who "
        "can reach the port can read the whole portfolio.",
    ),
) -> None:
    """Serve the GraphQL API and GraphiQL until interrupted (Ctrl-C)."""
    settings = Settings.from_environ()
    bind_host = host or settings.host
    bind_port = port or settings.port
    # The OAuth issuer defaults to the address served (LOANWATCH_OAUTH_ISSUER overrides).
    settings = settings.model_copy(update={"host": bind_host, "port": bind_port})
    check_bind_host(bind_host, allow_remote=allow_remote)
    if not is_loopback(bind_host):
        err_console.print(
            f"[bold yellow]warning:[/] listening on {bind_host}:{bind_port} without "
            "authentication; anyone who can reach it can read the whole portfolio.",
            highlight=False,
        )
    engine, graph = open_stores(settings)
    try:
        run_server(settings, engine, graph, bind_host, bind_port)
    finally:
        graph.close()
        engine.dispose()


def check_port_free(host: str, port: int) -> None:
    """Return when ``host:port`` can be listened on.

    Raises:
        ConfigurationError: something else listens there; the message says what to do.
    """
    family = socket.AF_INET6 if ":" in host.strip("[]") else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host.strip("[]"), port))
        except OSError as exc:
            raise ConfigurationError(
                f"cannot listen on {host}:{port}: {exc.strerror or exc}",
                suggestion="stop what uses that port, or pick another with --port "
                           "(or LOANWATCH_PORT)",
            ) from exc


def describe_limits(settings: Settings) -> str:
    """One line naming the query limits the API enforces (from ``settings``)."""
    return (
        f"cost {settings.query_max_cost:,} per query, {settings.query_time_limit_s:g} s per "
        f"request, {settings.heavy_query_slots} heavy queries (cost from "
        f"{settings.heavy_query_cost:,}) at once, each waiting at most "
        f"{settings.heavy_query_wait_s:g} s for a turn"
    )


def run_server(settings: Settings, engine: Engine, graph: GraphStore, host: str,
               port: int) -> None:
    """Serve the API over ``engine`` and ``graph`` on ``host:port`` until interrupted.

    Raises:
        ConfigurationError: the port is taken.
    """
    check_port_free(host, port)
    app = create_app(settings, graph, engine)
    base = base_url(host, port)
    console.print(
        f"GraphiQL:  {base}{GRAPHQL_PATH}  (open in a browser)\n"
        f"liveness:  {base}{HEALTHZ_PATH}\n"
        f"readiness: {base}{READYZ_PATH}\n"
        f"graph:     {graph!r}\n"
        f"limits:    {describe_limits(settings)}\n"
        f"environment: {settings.environment}",
        highlight=False,
    )
    uvicorn.run(app, host=host, port=port, log_level="info")
