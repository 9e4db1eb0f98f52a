"""Import throughput: embedded store and Neo4j, against a row-by-row baseline in the same run.

    python -m benchmarks.import_throughput [--borrowers 100000] [--sample-borrowers 2000]

Generates the portfolios it needs under ``var/bench`` (kept for the next run), then runs
each import in a fresh process of its own (a new SQLite file; Neo4j emptied first) and
prints a table of rows/s and peak memory. The baseline imports a small sample portfolio
with one MERGE per row; the batched Neo4j store imports the same sample, and the ratio of
their rows/s is the speed-up that batching buys. Needs Neo4j at ``--neo4j-uri`` (by default
the test server on 7688 that ``tools/services.sh start`` runs) unless ``--skip-neo4j``. That
database is emptied, so run no tests against it meanwhile; a server holding data that the
tests and benchmarks did not write (the 7687 one of ``make demo``) is refused untouched.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

from rich.console import Console
from rich.table import Table

from benchmarks.import_once import BENCHMARK_NEO4J_URI
from benchmarks.portfolios import BENCH_DIR, ensure_portfolio


def measure(backend: str, source: Path, neo4j_uri: str) -> dict[str, float]:
    """Run one import in a child process and return what it printed."""
    database = BENCH_DIR / f"{backend}-{source.name}.db"
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "benchmarks.import_once",
            "--backend",
            backend,
            "--source",
            str(source),
            "--database",
            str(database),
            "--neo4j-uri",
            neo4j_uri,
        ],
        capture_output=True,
        text=True,
    )
    if completed.returncode != 0:
        raise SystemExit(f"the {backend} import of {source} failed:\n{completed.stderr}")
    return json.loads(completed.stdout)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--borrowers", type=int, default=100_000)
    parser.add_argument("--sample-borrowers", type=int, default=2_000)
    parser.add_argument("--neo4j-uri", default=BENCHMARK_NEO4J_URI)
    parser.add_argument("--skip-neo4j", action="store_true")
    args = parser.parse_args(argv)

    console = Console(width=160)
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    full = ensure_portfolio(args.borrowers, console=console)
    sample = ensure_portfolio(args.sample_borrowers, console=console)

    cases: list[tuple[str, str, Path]] = [("embedded (SQLite)", "embedded", full)]
    if not args.skip_neo4j:
        cases += [
            ("neo4j, row by row (baseline)", "naive-neo4j", sample),
            ("neo4j, batched, same sample", "neo4j", sample),
            ("neo4j, batched", "neo4j", full),
        ]
    results: list[tuple[str, Path, dict[str, float]]] = []
    for title, backend, source in cases:
        console.print(f"importing {source} into {title} ...")
        results.append((title, source, measure(backend, source, args.neo4j_uri)))

    baseline = next((r for t, _, r in results if "baseline" in t), None)
    table = Table(
        title=f"Import throughput ({args.borrowers:,} borrowers; sample {args.sample_borrowers:,})"
    )
    for column in (
        "case",
        "portfolio",
        "rows",
        "rejected",
        "seconds",
        "rows/s",
        "peak RSS MiB",
        "× baseline",
    ):
        table.add_column(column, justify="left" if column in ("case", "portfolio") else "right")
    for title, source, r in results:
        rate = r["rows"] / r["seconds"]
        ratio = (
            "" if baseline is None else f"{rate / (baseline['rows'] / baseline['seconds']):.1f}×"
        )
        table.add_row(
            title,
            source.name,
            f"{r['rows']:,.0f}",
            f"{r['rejected']:,.0f}",
            f"{r['seconds']:.1f}",
            f"{rate:,.0f}",
            f"{r['peak_rss_mib']:,.0f}",
            ratio,
        )
    console.print(table)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
