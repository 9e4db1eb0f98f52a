"""What a neighbourhood costs on Neo4j: the breadth-first walk hop by hop
(:func:`graph.traversal.expand_neighbourhood`, the embedded store's way and Neo4j's before)
against the one Cypher query the Neo4j store answers it with now.

    python -m benchmarks.neighbourhood [--borrowers 2000] [--neo4j-uri bolt://127.0.0.1:7688]
                                       [--centers 40] [--repeat 5] [--bench-dir var/bench]

Imports the benchmark portfolio into the Neo4j server at ``--neo4j-uri`` when it does not
hold it yet (:func:`benchmarks.portfolios.ensure_neo4j`: the server is emptied first, so
never point it at a server holding data you keep), then asks, for ``--centers`` borrowers
spread over the portfolio, every hop count from 0 to 6 of the GraphQL ``guaranteeNetwork``
(BORROWS and GUARANTEES, parties and loans, limit 200) and of an unfiltered
``neighbourhood`` (every type and label, limit 500 and the API's most, 2,000). Both paths
answer every call first and must agree (the run stops if one differs); then each is timed
``--repeat`` times over all centers. Prints, before (hop by hop) and after (one query),
round trips per call (counted at the store's one read method) and milliseconds per call
(mean, and p95 over the calls).
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Collection
from pathlib import Path
from typing import Any, Final

from rich.console import Console
from rich.table import Table

from benchmarks.portfolios import BENCH_DIR, ensure_neo4j
from graph.model import PARTY_LABELS, Label, RelType, Subgraph
from graph.store import GraphStore
from graph.stores.neo4j import Neo4jGraphStore

__all__ = ["CountingNeo4jStore", "main"]

DEFAULT_NEO4J_URI: Final = "bolt://127.0.0.1:7688"
#: The shapes measured: name, relationship types, labels, limit (as the API asks them).
SHAPES: Final[tuple[tuple[str, frozenset[RelType] | None, frozenset[Label] | None, int],
                    ...]] = (
    ("guaranteeNetwork", frozenset({RelType.BORROWS, RelType.GUARANTEES}),
     PARTY_LABELS | {Label.LOAN}, 200),
    ("neighbourhood", None, None, 500),
    ("neighbourhood", None, None, 2_000),
)
HOPS: Final = range(7)


class CountingNeo4jStore(Neo4jGraphStore):
    """The Neo4j store, counting its round trips: every read goes through ``_read``."""

    trips = 0

    def _read(self, query: str, **params: Any) -> list[Any]:
        self.trips += 1
        return super()._read(query, **params)


def _hop_by_hop(store: Neo4jGraphStore, center: str, hops: int,
                types: Collection[RelType] | None, labels: Collection[Label] | None,
                limit: int) -> Subgraph:
    """The walk as every store made it before: the interface's own method."""
    return GraphStore.neighbourhood(store, center, hops, labels=labels, types=types,
                                    limit=limit)


def _one_query(store: Neo4jGraphStore, center: str, hops: int,
               types: Collection[RelType] | None, labels: Collection[Label] | None,
               limit: int) -> Subgraph:
    return store.neighbourhood(center, hops, labels=labels, types=types, limit=limit)


PATHS: Final = (("hop by hop", _hop_by_hop), ("one query", _one_query))


def _centers(store: Neo4jGraphStore, count: int) -> list[str]:
    borrowers = sorted({source for batch in store.iter_edges([RelType.BORROWS])
                        for _, source, _, _, _ in batch})
    step = max(1, len(borrowers) // count)
    return borrowers[::step][:count]


def measure(store: CountingNeo4jStore, centers: list[str], repeat: int,
            console: Console) -> list[dict[str, Any]]:
    """One row per shape and hop count: for each path, round trips and milliseconds per
    call (``trips``, ``ms``, ``p95``, each a dict by path name)."""
    rows = []
    for shape, types, labels, limit in SHAPES:
        for hops in HOPS:
            answers = {}
            for name, path in PATHS:
                answers[name] = [path(store, c, hops, types, labels, limit) for c in centers]
            if answers["hop by hop"] != answers["one query"]:
                raise SystemExit(f"{shape} at {hops} hops: the two paths disagree")
            row: dict[str, Any] = {
                "shape": shape, "limit": limit, "hops": hops,
                "nodes": statistics.mean(len(s.nodes) for s in answers["one query"]),
                "truncated": sum(s.truncated for s in answers["one query"]),
                "trips": {}, "ms": {}, "p95": {}}
            for name, path in PATHS:
                times = []
                store.trips = 0
                for _ in range(repeat):
                    for center in centers:
                        start = time.perf_counter()
                        path(store, center, hops, types, labels, limit)
                        times.append(time.perf_counter() - start)
                times.sort()
                row["trips"][name] = store.trips / len(times)
                row["ms"][name] = statistics.mean(times) * 1000
                row["p95"][name] = times[int(len(times) * 0.95)] * 1000
            rows.append(row)
            console.print(f"{shape} (limit {limit}) hops={hops}: done")
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--borrowers", type=int, default=2_000)
    parser.add_argument("--neo4j-uri", default=DEFAULT_NEO4J_URI)
    parser.add_argument("--centers", type=int, default=40)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--bench-dir", type=Path, default=BENCH_DIR)
    parser.add_argument("--reuse-stale", action="store_true",
                        help="keep a portfolio or import made by other code (said aloud)")
    args = parser.parse_args()
    console = Console(width=150)
    ensure_neo4j(args.borrowers, args.neo4j_uri, bench=args.bench_dir, console=console,
                 reuse_stale=args.reuse_stale)
    from neo4j import GraphDatabase

    store = CountingNeo4jStore(GraphDatabase.driver(args.neo4j_uri, auth=None),
                               address=args.neo4j_uri)
    try:
        centers = _centers(store, args.centers)
        rows = measure(store, centers, args.repeat, console)
    finally:
        store.close()
    table = Table(title=f"Neighbourhoods on Neo4j, {args.borrowers:,}-borrower portfolio, "
                        f"{len(centers)} borrowers x {args.repeat}")
    before, after = (name for name, _ in PATHS)
    for column in ("shape", "limit", "hops", "nodes (mean)", "cut", "round trips before",
                   "after", "ms/call before", "after", "p95 ms before", "after", "× faster"):
        table.add_column(column, justify="left" if column == "shape" else "right")
    for row in rows:
        table.add_row(
            row["shape"], str(row["limit"]), str(row["hops"]), f"{row['nodes']:.1f}",
            f"{row['truncated']}/{len(centers)}",
            *(f"{row['trips'][name]:.1f}" for name in (before, after)),
            *(f"{row['ms'][name]:.2f}" for name in (before, after)),
            *(f"{row['p95'][name]:.2f}" for name in (before, after)),
            f"{row['ms'][before] / row['ms'][after]:.1f}")
    console.print(table)


if __name__ == "__main__":
    main()
