"""What a borrower 360° view costs on Neo4j, in one process: store round trips, Python calls
and CPU per request, with its walk read first (:mod:`schema.view_walks`) and without (the
loaders wave by wave, as before), in the same run.

    python -m benchmarks.borrower_view [--neo4j-uri bolt://127.0.0.1:7720] [--requests 300]
                                       [--shapes borrower network]

Reads the Neo4j at ``--neo4j-uri``, which must hold the 100,000-borrower benchmark portfolio
(``benchmarks/api_load.py`` imports it; this tool only reads). Each shape of
:data:`benchmarks.api_load.SHAPES` runs through the production schema (``schema.execute``
with a fresh request context, as the GraphQL view runs it, without HTTP and the token
check), as an administrator who sees personal data in clear. Both ways must give the same
answer (the run stops otherwise). Then, per shape and way:

- Bolt round trips per request (counted at the store's one read method) and the store
  calls that made them;
- Python function calls per request (cProfile, the store read on the event loop so that
  every call is seen): a figure that does not move with the machine's load;
- CPU ms per request of this process (the driver's work included, Neo4j's not), with one
  request at a time and with eight at a time, and the wall-clock p50 and p99 of each
  request at eight at a time (these move with whatever else the machine runs).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import gc
import json
import pstats
import statistics
import time
from collections import Counter
from collections.abc import Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Final

import uvloop
from neo4j import GraphDatabase
from rich.console import Console
from rich.table import Table

import schema.query
from auth.principal import Principal, Role
from benchmarks.api_load import SHAPES
from benchmarks.import_once import BENCHMARK_NEO4J_URI
from benchmarks.neighbourhood import CountingNeo4jStore
from graph.model import Edge, Node, RelType, Subgraph
from graph.store import Direction
from graph.walks import Hop, Walked
from schema import LoanwatchSchema, build_context, build_schema

__all__ = ["Figures", "main", "walks_off"]

#: Who runs the views: sees everything, personal data in clear.
ADMIN: Final = Principal(subject="benchmark", client_id="benchmark", role=Role.ADMIN,
                         scopes=frozenset({"admin", "portfolio:read", "personal:read"}))
CONCURRENCY: Final = 8
WARMUP: Final = 30


class _Reads(CountingNeo4jStore):
    """The counting store, also counting the calls of each store read the views make."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.statements: Counter[str] = Counter()

    def get_nodes(self, ids: Sequence[str]) -> list[Node | None]:
        self.statements["get_nodes"] += 1
        return super().get_nodes(ids)

    def edges_of(self, ids: Sequence[str], types: Collection[RelType] | None = None,
                 direction: Direction = "both") -> list[list[Edge]]:
        self.statements["edges_of"] += 1
        return super().edges_of(ids, types, direction)

    def walk(self, ids: Sequence[str], hops: Sequence[Hop]) -> Walked:
        self.statements["walk"] += 1
        return super().walk(ids, hops)

    def neighbourhood(self, center: str, hops: int = 2, **options: Any) -> Subgraph:
        self.statements["neighbourhood"] += 1
        return super().neighbourhood(center, hops, **options)


@dataclass(frozen=True, slots=True)
class Figures:
    """One shape read one way."""

    shape: str
    walks: bool
    trips: float
    statements: str
    calls: float
    cpu_ms_one: float
    cpu_ms_eight: float
    p50_ms: float
    p99_ms: float


@contextmanager
def walks_off() -> Iterator[None]:
    """The views without their walks: ``party(id:)`` and ``loan(id:)`` skip
    :func:`schema.view_walks.walk_selection`, so the loaders read wave by wave as before."""
    async def no_walk(*_: object) -> None:
        return None

    kept = schema.query.walk_selection
    schema.query.walk_selection = no_walk  # type: ignore[assignment]
    try:
        yield
    finally:
        schema.query.walk_selection = kept


async def _one(built: LoanwatchSchema, store: _Reads, body: Mapping[str, Any], *,
               inline: bool = False) -> dict[str, Any]:
    result = await built.execute(
        body["query"], variable_values=body.get("variables"),
        operation_name=body.get("operationName"),
        context_value=build_context(store, principal=ADMIN, inline_reads=inline))
    if result.errors:
        raise SystemExit(f"the view answered errors: {result.errors}")
    return dict(result.data or {})


async def _measure(built: LoanwatchSchema, store: _Reads, shape: str, walks: bool,
                   requests: int) -> Figures:
    body = SHAPES[shape].loanwatch
    for _ in range(WARMUP):
        await _one(built, store, body)
    store.trips = 0
    store.statements.clear()
    started = time.process_time()
    for _ in range(requests):
        await _one(built, store, body)
    one = (time.process_time() - started) * 1e3 / requests
    trips = store.trips / requests
    statements = ", ".join(f"{n / requests:g} {name}"
                           for name, n in sorted(store.statements.items()))

    latencies: list[float] = []

    async def client(count: int) -> None:
        for _ in range(count):
            began = time.perf_counter()
            await _one(built, store, body)
            latencies.append((time.perf_counter() - began) * 1e3)

    started = time.process_time()
    await asyncio.gather(*(client(requests // CONCURRENCY) for _ in range(CONCURRENCY)))
    eight = (time.process_time() - started) * 1e3 / len(latencies)

    profile = cProfile.Profile()
    counted = max(requests // 10, 10)
    profile.enable()
    for _ in range(counted):
        await _one(built, store, body, inline=True)
    profile.disable()
    calls = pstats.Stats(profile).total_calls / counted  # type: ignore[attr-defined]
    cuts = statistics.quantiles(latencies, n=100)
    return Figures(shape, walks, trips, statements, calls, one, eight, cuts[49], cuts[98])


async def _run(uri: str, shapes: list[str], requests: int) -> list[Figures]:
    store = _Reads(GraphDatabase.driver(uri, auth=None), address=uri)
    built = build_schema(mask_errors=False)
    try:
        figures = []
        for shape in shapes:
            body = SHAPES[shape].loanwatch
            walked = await _one(built, store, body)
            with walks_off():
                waves = await _one(built, store, body)
            if walked != waves:
                raise SystemExit(f"{shape}: the walk changed the answer:\n"
                                 f"{json.dumps(walked)[:800]}\n{json.dumps(waves)[:800]}")
            gc.collect()
            gc.freeze()
            figures.append(await _measure(built, store, shape, True, requests))
            with walks_off():
                figures.append(await _measure(built, store, shape, False, requests))
        return figures
    finally:
        store.close()


def _table(figures: list[Figures], requests: int) -> Table:
    table = Table(title=f"The borrower view on Neo4j, in one process, {requests} requests "
                        f"per way ({CONCURRENCY} at a time for the last three columns)")
    for column in ("shape", "walk", "Bolt trips/req", "store calls/req", "Python calls/req",
                   "CPU ms/req (1)", f"CPU ms/req ({CONCURRENCY})", "p50 ms", "p99 ms"):
        table.add_column(column, justify="left" if column in ("shape", "walk",
                                                              "store calls/req") else "right")
    for f in figures:
        table.add_row(f.shape, "yes" if f.walks else "no (waves)", f"{f.trips:g}",
                      f.statements, f"{f.calls:,.0f}", f"{f.cpu_ms_one:.2f}",
                      f"{f.cpu_ms_eight:.2f}", f"{f.p50_ms:.1f}", f"{f.p99_ms:.1f}")
    return table


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--neo4j-uri", default=BENCHMARK_NEO4J_URI,
                        help="a Neo4j holding the 100,000-borrower portfolio (read only)")
    parser.add_argument("--requests", type=int, default=300, help="requests per way")
    parser.add_argument("--shapes", nargs="+", default=["borrower", "network"],
                        choices=[name for name in SHAPES if name != "typename"])
    args = parser.parse_args(argv)
    if args.requests < CONCURRENCY:
        raise SystemExit(f"--requests must be at least {CONCURRENCY}")
    figures = uvloop.run(_run(args.neo4j_uri, args.shapes, args.requests))
    Console(width=200).print(_table(figures, args.requests))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
