"""``loanwatch serve``: the GraphQL API (with GraphiQL) on this machine.

Every GraphQL request needs an OAuth access token, but the server itself speaks plain
HTTP: bearer tokens and personal data would cross the network in clear. So it listens on
the loopback interface unless ``--allow-remote`` says a TLS-terminating proxy (or a
trusted network) is in front, and then it warns.

The process's audit trail is opened here and drained when the server stops.
"""

from __future__ import annotations

import gc
import ipaddress
import logging
import socket

import dramatiq
import typer
import uvicorn
from rich.console import Console
from sqlalchemy import Engine
from starlette.types import ASGIApp

from api.app import GRAPHQL_PATH, HEALTHZ_PATH, READYZ_PATH, create_app
from api.logs import configure_json_logging
from api.request_log import access_log as request_access_log
from graph.store import GraphStore
from jobs.event_submission import EventFlowSubmitter
from jobs.in_process import InProcessJobs
from loanwatch.cli.graphiql_links import base_url
from loanwatch.cli.job_wiring import open_broker, start_jobs_in_process
from loanwatch.errors import BackendUnavailable, ConfigurationError
from loanwatch.settings import Settings
from loanwatch.wiring import open_audit_trail, open_stores
from risk.alerts.feed import LocalAlertFeed, feed_for_broker
from risk.collections.feed import LocalCaseFeed, case_feed_for_broker

__all__ = ["check_bind_host", "check_port_free", "describe_limits", "is_loopback", "run_server",
           "serve", "server_config"]

console = Console()
logger = logging.getLogger(__name__)
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
            f"refusing to listen on {host}: the API speaks plain HTTP, so bearer tokens and "
            "personal data would cross the network in clear; it listens on loopback only "
            "(127.0.0.1, ::1, localhost) unless told otherwise",
            suggestion="use --host 127.0.0.1 behind a TLS-terminating proxy, or pass "
                       "--allow-remote when such a proxy or a trusted network is in front",
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
        help="Allow a non-loopback --host: only with a TLS-terminating proxy or a trusted "
        "network in front (the server speaks plain HTTP; tokens would travel in clear).",
    ),
    access_log: bool = typer.Option(
        True, "--access-log/--no-access-log",
        help="Log one JSON line per request (logger loanwatch.access; off saves a few "
        "percent of the time of small queries).",
    ),
    jobs: bool = typer.Option(
        True, "--jobs/--no-jobs",
        help="Without LOANWATCH_BROKER_URL, run the jobs (reviews, collections, event flow, "
        "notifications) on threads of this process. --no-jobs leaves them to `loanwatch "
        "worker` or `loanwatch scheduler` elsewhere: what the API records waits, pending, "
        "in the database.",
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
            f"[bold yellow]warning:[/] listening on {bind_host}:{bind_port} over plain "
            "HTTP; keep a TLS-terminating proxy in front, or access tokens and personal "
            "data cross the network in clear.",
            highlight=False,
        )
    engine, graph = open_stores(settings)
    try:
        run_server(settings, engine, graph, bind_host, bind_port, access_log=access_log,
                   jobs=jobs)
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


def _flow_broker(settings: Settings, jobs: InProcessJobs | None) -> dramatiq.Broker | None:
    """Where the API enqueues the flow of recorded events: the in-process jobs' broker, or
    the configured one; ``None`` when it does not answer now (the units wait, ``pending``,
    for the scheduler)."""
    if jobs is not None:
        return jobs.broker
    try:
        return open_broker(settings)
    except BackendUnavailable as exc:
        logger.warning("recorded events wait for the scheduler: %s", exc)
        return None


def run_server(settings: Settings, engine: Engine, graph: GraphStore, host: str,
               port: int, *, access_log: bool = True, jobs: bool = True) -> None:
    """Serve the API over ``engine`` and ``graph`` on ``host:port`` until interrupted; with
    ``jobs`` and no broker URL, the jobs run here too.

    Raises:
        ConfigurationError: the port is taken.
    """
    check_port_free(host, port)
    # JSON lines with request ids (api.request_log), from before the jobs start: what they
    # log in their first seconds (a schedule due at once) is not lost.
    configure_json_logging()
    trail = open_audit_trail(settings, engine)
    # One alert feed for the API and the jobs that run here: subscribers hear the alerts
    # the event flow raises and clears (across processes through Redis when it is the broker).
    feed = feed_for_broker(settings.broker_url_value) or LocalAlertFeed()
    cases = case_feed_for_broker(settings.broker_url_value) or LocalCaseFeed()
    # No broker URL: the jobs run here, on threads (README, Jobs and workers).
    running = (start_jobs_in_process(settings, engine, graph, audit=trail, alert_feed=feed,
                                     case_feed=cases)
               if jobs and settings.broker_url_value is None else None)
    try:
        app = create_app(settings, graph, engine, audit=trail, alert_feed=feed, case_feed=cases,
                         event_flow=EventFlowSubmitter(engine, _flow_broker(settings, running)))
        _print_addresses(settings, graph, host, port)
        if not access_log:
            request_access_log.setLevel(logging.WARNING)
        # What is built by now (modules, schema, stores, caches) lives as long as the
        # process: frozen out of the cyclic collector's sight, a full collection walks
        # only what requests leave, not the quarter million objects of the start-up.
        gc.collect()
        gc.freeze()
        uvicorn.Server(server_config(app, host, port)).run()
    finally:
        if running is not None:
            running.stop()  # the running jobs finish; what was queued stays in the database
        trail.close()  # every accepted audit event is written before the process ends


def _print_addresses(settings: Settings, graph: GraphStore, host: str, port: int) -> None:
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


def server_config(app: ASGIApp, host: str, port: int) -> uvicorn.Config:
    """How uvicorn serves ``app``: one process on uvloop's event loop with httptools'
    HTTP parser (both core dependencies, named so that a missing one fails at start
    instead of falling back to the slower pure-Python loop and parser), WebSockets by the
    ``websockets`` package, and Loanwatch's own JSON logging (uvicorn's access log off:
    :class:`api.request_log.RequestLog` writes one line per request with its id)."""
    return uvicorn.Config(app, host=host, port=port, log_level="info", loop="uvloop",
                          http="httptools", ws="websockets-sansio", log_config=None,
                          access_log=False)
