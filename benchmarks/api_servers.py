"""The servers ``benchmarks/api_load.py`` puts under load, started and stopped for it:
``loanwatch serve`` with a token of its own, the same API without its guards
(:mod:`benchmarks.open_api`), and the Neo4j GraphQL Library (``benchmarks/peer/``)."""

from __future__ import annotations

import base64
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import psutil

if TYPE_CHECKING:
    from benchmarks.api_load import Shape

__all__ = ["BACKENDS", "BENCHMARK_RATE_LIMIT", "DEFAULT_TOKEN_SCOPES", "OPEN_TOKEN", "Target",
           "copy_store", "issue_token", "loanwatch_server", "open_server", "peer_server",
           "post"]

HERE: Final = Path(__file__).resolve().parent
PEER_DIR: Final = HERE / "peer"
#: How long a server may take to answer its first request.
START_TIMEOUT_S: Final = 180.0


@dataclass(slots=True)
class Target:
    """One server under test: its name, its ``/graphql`` URL, whether it is the peer."""

    name: str
    url: str
    peer: bool = False
    headers: dict[str, str] = field(default_factory=dict)
    #: The server's process, once started (its CPU time is measured).
    pid: int | None = None

    def cpu_seconds(self) -> float:
        """CPU time the server process has used so far (user + system)."""
        if self.pid is None:
            return 0.0
        times = psutil.Process(self.pid).cpu_times()
        return times.user + times.system

    def body(self, shape: Shape) -> Mapping[str, Any]:
        return shape.peer if self.peer else shape.loanwatch




def post(target: Target, body: Mapping[str, Any], timeout: float = 30.0) -> dict[str, Any]:
    """One request to ``target``; its JSON answer.

    Raises:
        OSError: no answer (connection refused, timeout).
    """
    request = urllib.request.Request(
        target.url, data=json.dumps(body).encode(), method="POST",
        headers={"Content-Type": "application/json", "Accept": "application/json",
                 **target.headers})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            answer = json.loads(response.read())
    except urllib.error.HTTPError as exc:
        answer = json.loads(exc.read() or b"{}")
        answer.setdefault("errors", [{"message": f"HTTP {exc.code}"}])
    return answer if isinstance(answer, dict) else {"errors": [{"message": "not an object"}]}




def _wait_ready(target: Target, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"{target.name} exited with {process.returncode}:\n"
                             f"{log.read_text(errors='replace')[-3000:]}")
        try:
            post(target, {"query": "{ __typename }"}, timeout=5.0)
            return
        except OSError:
            time.sleep(0.5)
    raise SystemExit(f"{target.name} did not answer within {START_TIMEOUT_S:g} s; see {log}")


@contextmanager
def _server(target: Target, command: list[str], env: Mapping[str, str], log: Path,
            cwd: Path | None = None) -> Iterator[Target]:
    """Run ``command`` until the block ends; yield ``target`` once it answers.

    Args:
        env: added to this process's environment (a value of ``""`` removes the variable).
    """
    merged = {**os.environ, **env}
    environment = {key: value for key, value in merged.items() if value != "" or key not in env}
    with log.open("wb") as out:
        process = subprocess.Popen(command, env=environment, stdout=out,
                                   stderr=subprocess.STDOUT, cwd=cwd,
                                   start_new_session=True)
    try:
        _wait_ready(target, process, log)
        target.pid = process.pid
        yield target
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


#: The per-client rate limit the Loanwatch servers run with (``--serve-env`` overrides).
BENCHMARK_RATE_LIMIT: Final = "100000000/minute"
#: The scopes of the benchmark's own token: reading the portfolio, personal data in clear.
DEFAULT_TOKEN_SCOPES: Final = "portfolio:read personal:read"
#: What the open servers (:mod:`benchmarks.open_api`) get as a token: any one will do.
OPEN_TOKEN: Final = "open"
#: The backends: Loanwatch guarded as served, the same with the guards out, and the peer.
BACKENDS: Final = ("embedded", "embedded-open", "neo4j", "neo4j-open", "peer")


def issue_token(database: Path, port: int, scopes: str,
                serve_env: Mapping[str, str]) -> str:
    """A client-credentials access token from the server on ``port``, for a client
    registered in its ``database`` with ``scopes``: the ``Authorization`` header value."""
    env = {**os.environ, **serve_env, "LOANWATCH_DATABASE_URL": f"sqlite:///{database}"}
    created = subprocess.run(
        [sys.executable, "-c", "from loanwatch.cli.main import main; main()", "clients",
         "create", "--name", "api-load benchmark", "--scope", scopes, "--json"],
        env=env, capture_output=True, check=True)
    client = json.loads(created.stdout)
    form = urllib.parse.urlencode({"grant_type": "client_credentials", "scope": scopes})
    basic = base64.b64encode(f"{client['client_id']}:{client['client_secret']}".encode())
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/oauth/token", data=form.encode(), method="POST",
        headers={"Content-Type": "application/x-www-form-urlencoded",
                 "Authorization": f"Basic {basic.decode()}"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return f"Bearer {json.loads(response.read())['access_token']}"


def loanwatch_server(name: str, port: int, database: Path, workdir: Path, *,
                     neo4j_uri: str | None, authorization: str | None,
                     serve_env: Mapping[str, str], serve_args: Sequence[str] = (),
                     token_scopes: str = DEFAULT_TOKEN_SCOPES
                     ) -> AbstractContextManager[Target]:
    """``loanwatch serve`` on ``database`` (and Neo4j at ``neo4j_uri``) on ``port``."""
    env = {"LOANWATCH_DATABASE_URL": f"sqlite:///{database}",
           "LOANWATCH_NEO4J_URI": neo4j_uri or "", **serve_env}
    target = Target(name, f"http://127.0.0.1:{port}/graphql",
                    headers={"Authorization": authorization} if authorization else {})
    command = [sys.executable, "-c", "from loanwatch.cli.main import main; main()", "serve",
               "--host", "127.0.0.1", "--port", str(port), *serve_args]
    return _authorized(_server(target, command, env, workdir / f"{name}.log"), database,
                       port, token_scopes, {**env, **serve_env}, given=authorization)


@contextmanager
def _authorized(serving: AbstractContextManager[Target], database: Path, port: int,
                scopes: str, env: Mapping[str, str], *, given: str | None) -> Iterator[Target]:
    """``serving``, its target carrying ``given`` or a token of its own server."""
    with serving as target:
        if given is None:
            target.headers["Authorization"] = issue_token(database, port, scopes, env)
        yield target


def open_server(name: str, port: int, database: Path, workdir: Path, *,
                neo4j_uri: str | None, serve_env: Mapping[str, str],
                serve_args: Sequence[str] = ()) -> AbstractContextManager[Target]:
    """The same API with authentication, rights and audit taken out
    (:mod:`benchmarks.open_api`): what they cost is the difference to ``loanwatch_server``."""
    env = {"LOANWATCH_DATABASE_URL": f"sqlite:///{database}",
           "LOANWATCH_NEO4J_URI": neo4j_uri or "", **serve_env}
    target = Target(name, f"http://127.0.0.1:{port}/graphql",
                    headers={"Authorization": f"Bearer {OPEN_TOKEN}"})
    command = [sys.executable, "-m", "benchmarks.open_api", "--host", "127.0.0.1",
               "--port", str(port), *serve_args]
    return _server(target, command, env, workdir / f"{name}.log", cwd=HERE.parent)


def peer_server(port: int, neo4j_uri: str, workdir: Path) -> AbstractContextManager[Target]:
    """The Neo4j GraphQL Library on ``port`` over the Neo4j at ``neo4j_uri``."""
    if shutil.which("node") is None:
        raise SystemExit("the peer needs Node.js 20 or later (apt-get install nodejs npm)")
    if not (PEER_DIR / "node_modules").is_dir():
        raise SystemExit(f"the peer's packages are not installed: npm ci --prefix {PEER_DIR}")
    target = Target("peer", f"http://127.0.0.1:{port}/graphql", peer=True)
    return _server(target, ["node", "server.mjs"], {"NEO4J_URI": neo4j_uri, "PORT": str(port)},
                   workdir / "peer.log", cwd=PEER_DIR)


def copy_store(source: Path, workdir: Path) -> Path:
    workdir.mkdir(parents=True, exist_ok=True)
    copy = workdir / source.name
    shutil.copyfile(source, copy)
    return copy
