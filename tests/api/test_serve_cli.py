"""``loanwatch serve`` listens on loopback unless told otherwise, loudly."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import threading
import urllib.request
from pathlib import Path

import pytest
import uvicorn
from sqlalchemy import create_engine, func, select
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route
from typer.testing import CliRunner
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from api.admission import (
    DEFAULT_HEAVY_QUERY_COST,
    DEFAULT_HEAVY_QUERY_SLOTS,
    DEFAULT_HEAVY_QUERY_WAIT_S,
)
from api.graphql_view import DEFAULT_QUERY_TIME_LIMIT_S
from jobs.actors.housekeeping import PURGE_UNITS
from jobs.schedules import SCHEDULE
from jobs.units import UNIT
from loanwatch.cli.main import app
from loanwatch.cli.serve import (
    check_bind_host,
    check_port_free,
    describe_limits,
    is_loopback,
    server_config,
)
from loanwatch.errors import BackendUnavailable, ConfigurationError
from loanwatch.settings import Settings
from schema.limits import DEFAULT_MAX_COST
from tests.api.server import WAIT_S, wait_until


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.2", "::1", "[::1]", "localhost"])
def test_loopback_hosts(host: str) -> None:
    assert is_loopback(host)
    check_bind_host(host, allow_remote=False)


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.10", "api.example.com"])
def test_other_hosts_need_allow_remote(host: str) -> None:
    assert not is_loopback(host)
    with pytest.raises(ConfigurationError, match=f"refusing to listen on {host}"):
        check_bind_host(host, allow_remote=False)
    check_bind_host(host, allow_remote=True)


def test_serve_refuses_a_remote_host_before_opening_anything(tmp_path: Path) -> None:
    env = {"LOANWATCH_DATA_DIR": str(tmp_path / "data")}
    result = CliRunner().invoke(app, ["serve", "--host", "0.0.0.0"], env=env)
    assert isinstance(result.exception, ConfigurationError)
    assert result.exception.suggestion == (
        "use --host 127.0.0.1 behind a TLS-terminating proxy, or pass --allow-remote when "
        "such a proxy or a trusted network is in front")
    assert not (tmp_path / "data").exists(), "no database was created"


def test_serve_reads_the_host_from_the_environment(tmp_path: Path) -> None:
    env = {"LOANWATCH_HOST": "0.0.0.0", "LOANWATCH_DATA_DIR": str(tmp_path)}
    result = CliRunner().invoke(app, ["serve"], env=env)
    assert isinstance(result.exception, ConfigurationError)


def test_allow_remote_warns_before_serving() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {"LOANWATCH_DATABASE_URL": f"postgresql://u:p@127.0.0.1:{port}/nowhere"}
    result = CliRunner().invoke(app, ["serve", "--host", "0.0.0.0", "--allow-remote"], env=env)
    assert "warning: listening on 0.0.0.0:8000 over plain HTTP" in result.stderr
    # The stores are opened after the warning; here the database is down, so it stops.
    assert isinstance(result.exception, BackendUnavailable)


def test_a_taken_port_is_named_before_serving() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(ConfigurationError, match=rf"cannot listen on 127\.0\.0\.1:{port}"):
            check_port_free("127.0.0.1", port)
    check_port_free("127.0.0.1", port)  # free again once closed


def test_serve_names_the_query_limits_from_the_settings() -> None:
    settings = Settings.from_environ({"LOANWATCH_QUERY_MAX_COST": "20000",
                                      "LOANWATCH_HEAVY_QUERY_SLOTS": "3"})
    assert describe_limits(settings) == (
        "cost 20,000 per query, 15 s per request, 3 heavy queries (cost from 10,000) at "
        "once, each waiting at most 10 s for a turn")


def test_the_settings_defaults_are_the_api_defaults() -> None:
    settings = Settings.from_environ({})
    assert settings.query_max_cost == DEFAULT_MAX_COST
    assert settings.query_time_limit_s == DEFAULT_QUERY_TIME_LIMIT_S
    assert (settings.heavy_query_cost, settings.heavy_query_slots,
            settings.heavy_query_wait_s) == (DEFAULT_HEAVY_QUERY_COST, DEFAULT_HEAVY_QUERY_SLOTS,
                                             DEFAULT_HEAVY_QUERY_WAIT_S)


def test_a_bad_limit_setting_is_named() -> None:
    with pytest.raises(ConfigurationError, match="LOANWATCH_HEAVY_QUERY_SLOTS"):
        Settings.from_environ({"LOANWATCH_HEAVY_QUERY_SLOTS": "0"})


def test_the_api_is_served_on_uvloop_with_httptools() -> None:
    """The configuration ``loanwatch serve`` runs, serving for real."""

    async def loop_kind(request: Request) -> PlainTextResponse:
        return PlainTextResponse(type(asyncio.get_running_loop()).__module__)

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    config = server_config(Starlette(routes=[Route("/", loop_kind)]), "127.0.0.1", port)
    config.log_level = "warning"
    config.load()
    assert config.http_protocol_class is HttpToolsProtocol
    assert not config.access_log, "api.request_log writes the access lines, with ids"
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="uvicorn", daemon=True)
    thread.start()
    try:
        wait_until(lambda: server.started, "the server started")
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=WAIT_S) as answer:
            assert answer.read() == b"uvloop"
    finally:
        server.should_exit = True
        thread.join(WAIT_S)


def _serving(tmp_path: Path, *flags: str) -> tuple[int, str]:
    """Start ``loanwatch serve`` (a real process) on an empty database, wait until it
    answers and, with jobs, until the housekeeping due at once is done; stop it. The job
    schedules it left in the database, and what it logged."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    database = tmp_path / "serve.db"
    env = {**os.environ, "LOANWATCH_DATA_DIR": str(tmp_path / "data"),
           "LOANWATCH_DATABASE_URL": f"sqlite:///{database}", "LOANWATCH_BROKER_URL": ""}
    engine = create_engine(f"sqlite:///{database}")
    with subprocess.Popen(
            [sys.executable, "-m", "loanwatch.cli.main", "serve", "--port", str(port), *flags],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE) as server:
        def answers() -> bool:
            assert server.poll() is None, server.stderr.read().decode()  # type: ignore[union-attr]
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1):
                    return True
            except OSError:
                return False

        def purged() -> bool:
            with engine.connect() as connection:
                return bool(connection.execute(select(func.count()).select_from(UNIT).where(
                    UNIT.c.actor_name == PURGE_UNITS, UNIT.c.state == "done")).scalar_one())
        try:
            # In-process jobs keep their schedules before the server listens.
            wait_until(answers, "the server answers", timeout_s=60)
            if "--no-jobs" not in flags:
                wait_until(purged, "the housekeeping due at once is done", timeout_s=60)
        finally:
            server.send_signal(signal.SIGINT)
            _, logged = server.communicate(timeout=30)
    try:
        with engine.connect() as connection:
            schedules = connection.execute(select(func.count()).select_from(SCHEDULE)).scalar_one()
    finally:
        engine.dispose()
    return schedules, logged.decode()


def test_serve_runs_the_jobs_unless_told_not_to(tmp_path: Path) -> None:
    schedules, logged = _serving(tmp_path / "with")
    assert schedules > 0  # the daily plans, kept here
    # What the first jobs log, in their first second, is in the JSON log.
    assert '"logger": "jobs.actors.housekeeping"' in logged
    assert _serving(tmp_path / "without", "--no-jobs")[0] == 0
