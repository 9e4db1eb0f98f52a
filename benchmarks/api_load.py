"""The API under load: Loanwatch (embedded store, Neo4j) and the Neo4j GraphQL Library, side
by side with wrk.

    python -m benchmarks.api_load [--neo4j-uri bolt://127.0.0.1:7688] [--duration 10]
        [--connections 1 8 32] [--shapes borrower network typename]
        [--backends embedded embedded-open neo4j neo4j-open peer]
        [--authorization "Bearer ..."]

One command, one table. It serves the 100,000-borrower benchmark portfolio
(:mod:`benchmarks.portfolios`) three ways, each one process on this machine:

- ``embedded``: ``loanwatch serve`` (one uvicorn process) on a copy of the imported
  embedded store (the copy is deleted afterwards: serving may migrate it);
- ``neo4j``: ``loanwatch serve`` on the portfolio imported into the Neo4j at
  ``--neo4j-uri`` (imported when missing or stale; that server is emptied first, so never
  point this at one holding data you keep);
- ``peer``: the Neo4j GraphQL Library (``@neo4j/graphql`` on Apollo Server,
  ``benchmarks/peer/``, ``npm ci --prefix benchmarks/peer`` once) on the same Neo4j;
- ``embedded-open``, ``neo4j-open`` (on request): the same API with authentication, the
  rights check and the audit taken out (:mod:`benchmarks.open_api`, never reachable from
  ``loanwatch serve``), so that the difference to ``embedded``/``neo4j`` is what those
  guards cost.

and sends each the same query shapes with ``wrk`` (Debian's ``wrk``; the request is a
POST of a JSON body, ``benchmarks/wrk_post.lua``) at each number of connections: the
borrower view of company C00004230 (name, loans with their guarantees and guarantors,
guarantees given, guarantors), the same with ``guaranteeNetwork(hops: 4)``, and
``{ __typename }`` (the cost of the HTTP and GraphQL layers alone). The runs of one shape
and one number of connections follow each other, target after target, so a busy machine
slows them alike: the ratio to the peer in the same run is the figure to read; absolute
numbers move with whatever else the machine does.

Beside wrk's figures, the table shows the CPU time the server process spent per request
(Neo4j's own work not counted): on a shared machine it moves far less than the
throughput does.

Before measuring, each target answers each shape once and the answer is checked (data,
no errors) and summarised, so a table never hides a server that answers errors fast.
Loanwatch answers nothing without an access token, so each Loanwatch server gets its own:
the harness registers a client (``loanwatch clients create``, role ``integration``, scopes
``--token-scopes``) in the server's database copy and asks that server's ``/oauth/token``
for a client-credentials token, which every request then carries. With the default scopes
personal data is served in clear, so every answer naming a person is also written to the
audit trail: authentication, masking and audit are all on. ``--authorization`` sends a
header of your own instead (the peer has no authentication); ``--serve-env KEY=VALUE``
passes settings to the Loanwatch servers.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from rich.console import Console
from rich.table import Table

from benchmarks.api_servers import (
    BACKENDS,
    BENCHMARK_RATE_LIMIT,
    DEFAULT_TOKEN_SCOPES,
    Target,
    copy_store,
    loanwatch_server,
    open_server,
    peer_server,
    post,
)
from benchmarks.import_once import BENCHMARK_NEO4J_URI
from benchmarks.portfolios import BENCH_DIR, ensure_embedded, ensure_neo4j

__all__ = ["SHAPES", "Measurement", "Shape", "Target", "main", "parse_wrk", "run_wrk"]

BORROWERS: Final = 100_000
PARTY: Final = "C00004230"
HERE: Final = Path(__file__).resolve().parent
WRK_SCRIPT: Final = HERE / "wrk_post.lua"
#: wrk's own request timeout: a slower answer counts as a timeout, not in the latencies.
WRK_TIMEOUT_S: Final = 30
WRK_MARK: Final = "api_load: "

_BORROWER_FIELDS: Final = (
    "id name loans { id product status guarantees { share kind guarantor { id name } } } "
    "guarantees { share kind loan { id } } guarantors { id name }"
)
_PEER_FIELDS: Final = (
    "id name loans { id product status guarantorsConnection { edges { properties { share "
    "kind } node { id name } } } } guaranteedLoansConnection { edges { properties { share "
    "kind } node { id } } } guarantors { id name }"
)
#: The nodes only (the peer's field returns nodes), at most 200 of them on both sides.
_NETWORK: Final = "guaranteeNetwork(hops: 4, limit: 200) { nodes { id label name } }"
_PEER_NETWORK: Final = "guaranteeNetwork { id label name }"


@dataclass(frozen=True, slots=True)
class Shape:
    """A query shape: the request Loanwatch gets, and the peer's for the same data."""

    name: str
    title: str
    loanwatch: Mapping[str, Any]
    peer: Mapping[str, Any]


def _loanwatch_query(name: str, fields: str) -> dict[str, Any]:
    return {"query": f"query {name}($id: ID!) {{ party(id: $id) {{ {fields} }} }}",
            "operationName": name, "variables": {"id": PARTY}}


def _peer_query(name: str, fields: str) -> dict[str, Any]:
    return {"query": f"query {name}($id: ID!) {{ companies(where: {{ id: {{ eq: $id }} }}) "
                     f"{{ {fields} }} }}",
            "operationName": name, "variables": {"id": PARTY}}


SHAPES: Final = {
    shape.name: shape for shape in (
        Shape("borrower", f"company {PARTY}: loans, guarantees, guarantors",
              _loanwatch_query("Borrower", _BORROWER_FIELDS),
              _peer_query("Borrower", _PEER_FIELDS)),
        Shape("network", "the same + guaranteeNetwork(hops: 4)",
              _loanwatch_query("BorrowerNetwork", f"{_BORROWER_FIELDS} {_NETWORK}"),
              _peer_query("BorrowerNetwork", f"{_PEER_FIELDS} {_PEER_NETWORK}")),
        Shape("typename", "{ __typename }", {"query": "{ __typename }"},
              {"query": "{ __typename }"}),
    )
}


@dataclass(frozen=True, slots=True)
class Measurement:
    """What one wrk run reported."""

    target: str
    shape: str
    connections: int
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    errors: int
    #: CPU time of the server process per request answered (not counting Neo4j's).
    cpu_ms: float

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def parse_wrk(output: str) -> dict[str, int]:
    """The figures ``wrk_post.lua`` printed in ``output``.

    Raises:
        ValueError: no such line (wrk failed before its end).
    """
    for line in output.splitlines():
        if line.startswith(WRK_MARK):
            found = json.loads(line[len(WRK_MARK):])
            if isinstance(found, dict):
                return found
    raise ValueError(f"wrk printed no figures:\n{output[-2000:]}")


def run_wrk(target: Target, shape: Shape, connections: int, seconds: float,
            workdir: Path) -> Measurement:
    """Load ``target`` with ``shape`` from ``connections`` connections for ``seconds``."""
    body = workdir / f"{target.name}-{shape.name}.json"
    body.write_text(json.dumps(target.body(shape)))
    env = {**os.environ, "WRK_BODY": str(body),
           "WRK_AUTHORIZATION": target.headers.get("Authorization", "")}
    threads = max(1, min(connections, 2))
    cpu_before = target.cpu_seconds()
    completed = subprocess.run(
        ["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{seconds:g}s",
         "--timeout", f"{WRK_TIMEOUT_S}s", "-s", str(WRK_SCRIPT), target.url],
        capture_output=True, text=True, env=env, check=False)
    if completed.returncode != 0:
        raise SystemExit(f"wrk failed against {target.name}:\n{completed.stderr}")
    cpu = target.cpu_seconds() - cpu_before
    figures = parse_wrk(completed.stdout)
    errors = sum(figures[key] for key in ("connect_errors", "read_errors", "write_errors",
                                          "status_errors", "timeouts"))
    return Measurement(target.name, shape.name, connections, figures["requests"],
                       figures["duration_us"] / 1e6, figures["p50_us"] / 1e3,
                       figures["p99_us"] / 1e3, errors,
                       cpu * 1e3 / figures["requests"] if figures["requests"] else 0.0)


def _count(value: Any) -> int:
    """How many objects with an ``id`` ``value`` holds, nested ones included."""
    if isinstance(value, list):
        return sum(_count(item) for item in value)
    if isinstance(value, dict):
        return ("id" in value) + sum(_count(item) for item in value.values())
    return 0


def check_answers(target: Target, shapes: Sequence[Shape]) -> dict[str, str]:
    """Ask ``target`` each shape once; a summary of each answer.

    Raises:
        SystemExit: an answer holds errors or no data.
    """
    summaries = {}
    for shape in shapes:
        answer = post(target, target.body(shape))
        if answer.get("errors") or not answer.get("data"):
            raise SystemExit(f"{target.name} answered {shape.name} with errors: "
                             f"{json.dumps(answer)[:1000]}")
        summaries[shape.name] = f"{_count(answer['data'])} objects"
    return summaries



def _table(measurements: Sequence[Measurement], shapes: Sequence[Shape],
           summaries: Mapping[str, Mapping[str, str]], title: str) -> Table:
    table = Table(title=title)
    for column in ("shape", "conns", "server", "req/s", "p50 ms", "p99 ms", "errors",
                   "× peer req/s", "CPU ms/req", "answer"):
        table.add_column(column, justify="left" if column in ("shape", "server", "answer")
                         else "right")
    peer = {(m.shape, m.connections): m for m in measurements if m.target == "peer"}
    titles = {shape.name: shape.title for shape in shapes}
    for m in measurements:
        reference = peer.get((m.shape, m.connections))
        ratio = "" if reference is None or m.target == "peer" or not reference.per_second \
            else f"{m.per_second / reference.per_second:.2f}×"
        table.add_row(titles[m.shape], str(m.connections), m.target, f"{m.per_second:,.0f}",
                      f"{m.p50_ms:,.1f}", f"{m.p99_ms:,.1f}", str(m.errors) if m.errors else "",
                      ratio, f"{m.cpu_ms:.2f}", summaries.get(m.target, {}).get(m.shape, ""))
    return table


def _parse_env(pairs: Sequence[str]) -> dict[str, str]:
    env = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise SystemExit(f"--serve-env wants KEY=VALUE, got {pair!r}")
        env[key] = value
    return env


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--neo4j-uri", default=BENCHMARK_NEO4J_URI,
                        help="the benchmark Neo4j (emptied when the import has to be made)")
    parser.add_argument("--bench", type=Path, default=BENCH_DIR,
                        help="where the benchmark portfolios and stores are kept")
    parser.add_argument("--backends", nargs="+", default=["embedded", "neo4j", "peer"],
                        choices=BACKENDS,
                        help="embedded-open and neo4j-open: the same API without "
                             "authentication, rights and audit (benchmarks/open_api.py)")
    parser.add_argument("--shapes", nargs="+", default=list(SHAPES), choices=list(SHAPES))
    parser.add_argument("--connections", nargs="+", type=int, default=[1, 8, 32])
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per run")
    parser.add_argument("--warmup", type=float, default=2.0,
                        help="seconds of unmeasured load per server and shape first")
    parser.add_argument("--authorization", default=os.environ.get("LOANWATCH_BENCH_AUTHORIZATION"),
                        help="Authorization header sent to Loanwatch, e.g. 'Bearer eyJ...' "
                             "(default: $LOANWATCH_BENCH_AUTHORIZATION)")
    parser.add_argument("--token-scopes", default=DEFAULT_TOKEN_SCOPES,
                        help="scopes of the token the harness gets from each Loanwatch "
                             "server (without personal:read, names are masked and nothing "
                             "is audited)")
    parser.add_argument("--serve-env", action="append", default=[], metavar="KEY=VALUE",
                        help="a setting for the Loanwatch servers (repeat)")
    parser.add_argument("--no-access-log", action="store_true",
                        help="serve Loanwatch with --no-access-log (the peer logs nothing)")
    parser.add_argument("--port", type=int, default=8721,
                        help="first of the three ports the servers listen on")
    parser.add_argument("--json", type=Path, help="also write the figures there")
    parser.add_argument("--reuse-stale", action="store_true",
                        help="serve stores imported by other generator/import code")
    args = parser.parse_args(argv)
    console = Console(width=170)
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed (apt-get install wrk)")
    # The per-client rate limit still runs on every request, but with a budget wrk cannot
    # spend: the figures are of answering, not of refusing (429).
    serve_env = {"LOANWATCH_RATE_LIMIT": BENCHMARK_RATE_LIMIT, **_parse_env(args.serve_env)}
    # The API alone, as behind a broker in production: the daily reviews and collections,
    # due at once on a fresh copy of the stores, would otherwise run on the server's threads
    # during the measurement.
    serve_args = ["--no-jobs", *(["--no-access-log"] if args.no_access_log else [])]
    shapes = [SHAPES[name] for name in args.shapes]

    args.bench.mkdir(parents=True, exist_ok=True)
    with ExitStack() as stack:
        workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(
            prefix="api-load-", dir=args.bench)))
        targets: list[Target] = []
        if {"embedded", "embedded-open"} & set(args.backends):
            store = ensure_embedded(BORROWERS, bench=args.bench, console=console,
                                    reuse_stale=args.reuse_stale)
            console.print(f"copying {store.database} ...")
            if "embedded" in args.backends:
                targets.append(stack.enter_context(loanwatch_server(
                    "embedded", args.port, copy_store(store.database, workdir), workdir,
                    neo4j_uri=None, authorization=args.authorization, serve_env=serve_env,
                    serve_args=serve_args, token_scopes=args.token_scopes)))
            if "embedded-open" in args.backends:
                targets.append(stack.enter_context(open_server(
                    "embedded-open", args.port + 3,
                    copy_store(store.database, workdir / "open"), workdir, neo4j_uri=None,
                    serve_env=serve_env, serve_args=serve_args)))
        if {"neo4j", "neo4j-open", "peer"} & set(args.backends):
            imported = ensure_neo4j(BORROWERS, args.neo4j_uri, bench=args.bench,
                                    console=console, reuse_stale=args.reuse_stale)
            if "neo4j" in args.backends:
                targets.append(stack.enter_context(loanwatch_server(
                    "neo4j", args.port + 1, copy_store(imported.database, workdir), workdir,
                    neo4j_uri=args.neo4j_uri, authorization=args.authorization,
                    serve_env=serve_env, serve_args=serve_args,
                    token_scopes=args.token_scopes)))
            if "neo4j-open" in args.backends:
                targets.append(stack.enter_context(open_server(
                    "neo4j-open", args.port + 4,
                    copy_store(imported.database, workdir / "open"), workdir,
                    neo4j_uri=args.neo4j_uri, serve_env=serve_env, serve_args=serve_args)))
            if "peer" in args.backends:
                targets.append(stack.enter_context(
                    peer_server(args.port + 2, args.neo4j_uri, workdir)))
        summaries = {target.name: check_answers(target, shapes) for target in targets}
        for target in targets:
            console.print(f"{target.name}: {target.url} answers "
                          + ", ".join(f"{k}: {v}" for k, v in summaries[target.name].items()))
        if args.warmup > 0:
            for shape in shapes:
                for target in targets:
                    run_wrk(target, shape, 8, args.warmup, workdir)
        measurements: list[Measurement] = []
        for shape in shapes:
            for connections in args.connections:
                for target in targets:
                    m = run_wrk(target, shape, connections, args.duration, workdir)
                    console.print(f"  {shape.name:9} {connections:3} conns {target.name:9} "
                                  f"{m.per_second:9,.1f} req/s  p50 {m.p50_ms:8.1f} ms  "
                                  f"p99 {m.p99_ms:8.1f} ms  CPU {m.cpu_ms:6.2f} ms/req  "
                                  f"errors {m.errors}")
                    measurements.append(m)
    title = (f"GraphQL under load, {BORROWERS:,}-borrower portfolio, wrk {args.duration:g} s "
             f"per run{', with Authorization' if args.authorization else ''}")
    console.print(_table(measurements, shapes, summaries, title))
    if args.json is not None:
        args.json.write_text(json.dumps(
            [{"target": m.target, "shape": m.shape, "connections": m.connections,
              "requests_per_s": round(m.per_second, 1), "p50_ms": m.p50_ms,
              "p99_ms": m.p99_ms, "errors": m.errors, "cpu_ms_per_request": round(m.cpu_ms, 3)}
             for m in measurements], indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
