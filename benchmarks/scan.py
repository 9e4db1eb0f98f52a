"""The scan on generated portfolios, on the embedded store or Neo4j: time and peak memory per
phase.

    python -m benchmarks.scan [--sizes 10000 100000] [--backend embedded|neo4j]
                              [--neo4j-uri bolt://127.0.0.1:7688] [--bench-dir var/bench]
                              [--reuse-stale]

For each size, the generated portfolio (seed 7) imported into the store is made once and
reused while the generator and importer are unchanged (:mod:`benchmarks.portfolios`). The
records database (with the embedded store, the graph too) is copied — the original is never
touched — migrated, and scanned in a child process of its own, as of the generator's date,
so each phase's peak resident memory is the scan's alone (``risk.scan`` resets the
high-water mark before each phase). On Neo4j the graph is the server's (the scan writes
only its derived ``CONTROLS`` edges there, idempotently); the default URI is the test
server ``tools/services.sh start`` runs, which the tests empty: for a million borrowers
start a server of its own with more memory, e.g.
``loanwatch neo4j start --data-dir var/bench/neo4j --bolt 127.0.0.1:7690 --heap-mb 4096
--pagecache-mb 4096``, and pass ``--neo4j-uri bolt://127.0.0.1:7690``. Peak memory is
this process's: the Neo4j server's own memory is its configured heap and page cache.

The table shows each phase per size, the growth exponent k between the two largest sizes
(time ∝ n^k) and what that exponent predicts for a million borrowers; the ratios, not the
absolute times, are what to compare between machines.
"""

from __future__ import annotations

import argparse
import json
import math
import shutil
import subprocess
import sys
import time
from datetime import date
from pathlib import Path
from typing import Any, Final

from rich.console import Console
from rich.table import Table

from benchmarks.portfolios import BENCH_DIR, ensure_embedded, ensure_neo4j

DEFAULT_SIZES: Final = (10_000, 100_000)
#: The test Neo4j of ``tools/services.sh start``.
DEFAULT_NEO4J_URI: Final = "bolt://127.0.0.1:7688"
#: What the extrapolation is for.
TARGET_BORROWERS: Final = 1_000_000


def measure(database: Path, as_of: date, neo4j_uri: str | None) -> dict[str, Any]:
    """One scan of ``database`` (already a copy), in this process; the graph is the
    embedded one in ``database`` or, with ``neo4j_uri``, that server's."""
    from neo4j import GraphDatabase

    from graph.store import GraphStore
    from graph.stores.embedded import EmbeddedGraphStore
    from graph.stores.neo4j import Neo4jGraphStore
    from loanwatch.migrations import migrate
    from portfolio.database import create_sql_engine
    from risk.rules.loader import DEFAULT_RULES_FILE, load_rules
    from risk.scan import ScanSettings, run_scan

    engine = create_sql_engine(f"sqlite:///{database}")
    graph: GraphStore = EmbeddedGraphStore(engine) if neo4j_uri is None else \
        Neo4jGraphStore(GraphDatabase.driver(neo4j_uri, auth=None), address=neo4j_uri)
    try:
        migrate(engine)
        started = time.perf_counter()
        outcome = run_scan(engine, graph, as_of, rules=load_rules(DEFAULT_RULES_FILE),
                           settings=ScanSettings(actor="benchmark"))
        total = time.perf_counter() - started
    finally:
        graph.close()
        engine.dispose()
    return {"total": total, "phases": outcome.phases, "summary": {
        k: outcome.summary.get(k) for k in ("parties", "loans", "findings", "alerts",
                                            "components", "features")}}


def _child(database: Path, as_of: date, neo4j_uri: str | None) -> dict[str, Any]:
    command = [sys.executable, "-m", "benchmarks.scan", "--child", str(database),
               "--as-of", as_of.isoformat()]
    if neo4j_uri is not None:
        command += ["--child-neo4j", neo4j_uri]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"the scan of {database} failed:\n{done.stderr[-4000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _exponent(small: float, large: float, ratio: float) -> float:
    if small <= 0 or large <= 0:
        return 1.0
    return math.log(large / small) / math.log(ratio)


def report(sizes: list[int], results: dict[int, dict[str, Any]], console: Console,
           backend: str) -> None:
    phases = list(results[sizes[-1]]["phases"])
    store = "embedded store (SQLite)" if backend == "embedded" else \
        "Neo4j graph, SQLite records"
    table = Table(title=f"loanwatch scan, {store}: seconds / peak MiB per phase")
    table.add_column("phase")
    for size in sizes:
        table.add_column(f"{size:,} s", justify="right")
        table.add_column(f"{size:,} MiB", justify="right")
    small, large = sizes[-2] if len(sizes) > 1 else sizes[-1], sizes[-1]
    ratio = large / small if large != small else 10.0
    table.add_column("k (time ∝ n^k)", justify="right")
    table.add_column(f"{TARGET_BORROWERS:,} s (predicted)", justify="right")
    predicted_total = 0.0
    for name in phases:
        row = [name]
        for size in sizes:
            figures = results[size]["phases"][name]
            row += [f"{figures['seconds']:.2f}", f"{figures['peak_mib']:.0f}"]
        t_small = results[small]["phases"][name]["seconds"]
        t_large = results[large]["phases"][name]["seconds"]
        k = max(1.0, _exponent(t_small, t_large, ratio))  # never better than linear
        predicted = t_large * (TARGET_BORROWERS / large) ** k
        predicted_total += predicted
        table.add_row(*row, f"{k:.2f}", f"{predicted:.0f}")
    totals = ["total"]
    for size in sizes:
        totals += [f"{results[size]['total']:.2f}",
                   f"{max(f['peak_mib'] for f in results[size]['phases'].values()):.0f}"]
    table.add_row(*totals, "", f"{predicted_total:.0f}", style="bold")
    console.print(table)
    for size in sizes:
        console.print(f"{size:,} borrowers: {json.dumps(results[size]['summary'])}",
                      highlight=False)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=list(DEFAULT_SIZES))
    parser.add_argument("--backend", choices=("embedded", "neo4j"), default="embedded")
    parser.add_argument("--neo4j-uri", default=DEFAULT_NEO4J_URI)
    parser.add_argument("--bench-dir", type=Path, default=BENCH_DIR)
    parser.add_argument("--reuse-stale", action="store_true",
                        help="reuse imported stores made by other generator/import code")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--child-neo4j", help=argparse.SUPPRESS)
    parser.add_argument("--as-of", type=date.fromisoformat, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child is not None:
        print(json.dumps(measure(args.child, args.as_of, args.child_neo4j)))
        return 0
    console = Console(width=160)
    work = args.bench_dir / "scan-work"
    work.mkdir(parents=True, exist_ok=True)
    neo4j_uri = args.neo4j_uri if args.backend == "neo4j" else None
    results: dict[int, dict[str, Any]] = {}
    for size in sorted(args.sizes):
        if neo4j_uri is None:
            store = ensure_embedded(size, bench=args.bench_dir, console=console,
                                    reuse_stale=args.reuse_stale)
        else:
            store = ensure_neo4j(size, neo4j_uri, bench=args.bench_dir, console=console,
                                 reuse_stale=args.reuse_stale)
        copy = work / f"scan-{args.backend}-{size}.db"
        shutil.copyfile(store.database, copy)  # the scan writes its run; the original stays
        console.print(f"scanning {size:,} borrowers ({store.database.name}, {args.backend}, "
                      f"as of {store.as_of}) ...")
        try:
            results[size] = _child(copy, store.as_of, neo4j_uri)
        finally:
            copy.unlink()
    report(sorted(args.sizes), results, console, args.backend)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
