"""Generation of the synthetic portfolio: time and peak memory as it grows.

    python -m benchmarks.generation [--sizes 10000 100000 1000000]

Each size runs in a fresh process (so peak RSS is its own) writing under ``var/bench``.
The smallest size is the baseline: the table shows how time per borrower and memory grow
against it, which is the check that generation streams (memory must not grow with the
portfolio the way rows do).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

from rich.console import Console
from rich.table import Table

BENCH_DIR = Path("var/bench")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--keep", action="store_true", help="keep the generated files")
    args = parser.parse_args(argv)
    console = Console(width=160)
    results = []
    for borrowers in sorted(args.sizes):
        out = BENCH_DIR / f"gen-{borrowers}"
        console.print(f"generating {borrowers:,} borrowers ...")
        completed = subprocess.run(
            [
                sys.executable,
                "-m",
                "benchmarks.generate_once",
                "--borrowers",
                str(borrowers),
                "--out",
                str(out),
            ],
            check=True,
            capture_output=True,
            text=True,
        )
        results.append((borrowers, json.loads(completed.stdout)))
        if not args.keep:
            subprocess.run(["rm", "-rf", str(out)], check=True)

    base_n, base = results[0]
    base_per = base["seconds"] / base_n
    table = Table(title="Portfolio generation (seed 7; baseline: the smallest size)")
    for column in (
        "borrowers",
        "rows",
        "seconds",
        "rows/s",
        "µs per borrower",
        "× baseline per borrower",
        "peak RSS MiB",
        "× baseline RSS",
    ):
        table.add_column(column, justify="right")
    for borrowers, r in results:
        per = r["seconds"] / borrowers
        table.add_row(
            f"{borrowers:,}",
            f"{r['rows']:,}",
            f"{r['seconds']:.1f}",
            f"{r['rows'] / r['seconds']:,.0f}",
            f"{per * 1e6:.0f}",
            f"{per / base_per:.2f}",
            f"{r['peak_rss_mib']:,.0f}",
            f"{r['peak_rss_mib'] / base['peak_rss_mib']:.2f}",
        )
    console.print(table)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
