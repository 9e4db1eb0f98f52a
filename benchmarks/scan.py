"""The scan on generated portfolios, on the embedded store: time and peak memory per phase.

    python -m benchmarks.scan [--sizes 10000 100000] [--bench-dir var/bench]

For each size: the generated portfolio ``portfolio-N`` (seed 7) and its imported embedded
SQLite store are reused when present (``embedded-portfolio-N.db`` of
``benchmarks/import_throughput.py``, or ``groups-rings-N.db`` of
``benchmarks/groups_rings.py``), otherwise made once (``scan-portfolio-N.db``). The store is
copied (the original is never touched), migrated, and scanned in a child process of its
own, as of the generator's date, so each phase's peak resident memory is the scan's alone
(``risk.scan`` resets the high-water mark before each phase).

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

import orjson
from rich.console import Console
from rich.table import Table

DEFAULT_SIZES: Final = (10_000, 100_000)
BENCH_DIR: Final = Path("var/bench")
IDENTIFIER_KEY: Final = b"loanwatch-benchmark-identifier-key"
#: What the extrapolation is for.
TARGET_BORROWERS: Final = 1_000_000


def ensure_database(borrowers: int, bench: Path, console: Console) -> tuple[Path, date]:
    """An imported embedded store of ``borrowers`` (made once) and its as-of date."""
    from graph.stores.embedded import EmbeddedGraphStore
    from ingest.importer import import_paths
    from loanwatch.migrations import migrate
    from portfolio.database import create_sql_engine
    from seeds.config import PortfolioConfig
    from seeds.generate import generate_portfolio

    out = bench / f"portfolio-{borrowers}"
    if not (out / "ground_truth" / "ground_truth.json").exists():
        console.print(f"generating a {borrowers:,}-borrower portfolio into {out} ...")
        generate_portfolio(PortfolioConfig(borrowers=borrowers, seed=7), out)
    truth = orjson.loads((out / "ground_truth" / "ground_truth.json").read_bytes())
    as_of = date.fromisoformat(truth["as_of"])
    for name in (f"embedded-portfolio-{borrowers}.db", f"groups-rings-{borrowers}.db",
                 f"scan-portfolio-{borrowers}.db"):
        if (bench / name).exists():
            return bench / name, as_of
    database = bench / f"scan-portfolio-{borrowers}.db"
    partial = database.with_suffix(".partial")
    partial.unlink(missing_ok=True)
    console.print(f"importing it into {database} ...")
    engine = create_sql_engine(f"sqlite:///{partial}")
    try:
        migrate(engine)
        import_paths([out], graph=EmbeddedGraphStore(engine), engine=engine,
                     identifier_key=IDENTIFIER_KEY)
    finally:
        engine.dispose()
    partial.rename(database)
    return database, as_of


def measure(database: Path, as_of: date) -> dict[str, Any]:
    """One scan of ``database`` (already a copy), in this process."""
    from graph.stores.embedded import EmbeddedGraphStore
    from loanwatch.migrations import migrate
    from portfolio.database import create_sql_engine
    from risk.rules.loader import DEFAULT_RULES_FILE, load_rules
    from risk.scan import ScanSettings, run_scan

    engine = create_sql_engine(f"sqlite:///{database}")
    try:
        migrate(engine)
        started = time.perf_counter()
        outcome = run_scan(engine, EmbeddedGraphStore(engine), as_of,
                           rules=load_rules(DEFAULT_RULES_FILE),
                           settings=ScanSettings(actor="benchmark"))
        total = time.perf_counter() - started
    finally:
        engine.dispose()
    return {"total": total, "phases": outcome.phases, "summary": {
        k: outcome.summary.get(k) for k in ("parties", "loans", "findings", "alerts",
                                            "components", "features")}}


def _child(database: Path, as_of: date) -> dict[str, Any]:
    done = subprocess.run([sys.executable, "-m", "benchmarks.scan", "--child", str(database),
                           "--as-of", as_of.isoformat()], capture_output=True, text=True,
                          check=False)
    if done.returncode != 0:
        raise SystemExit(f"the scan of {database} failed:\n{done.stderr[-4000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _exponent(small: float, large: float, ratio: float) -> float:
    if small <= 0 or large <= 0:
        return 1.0
    return math.log(large / small) / math.log(ratio)


def report(sizes: list[int], results: dict[int, dict[str, Any]], console: Console) -> None:
    phases = list(results[sizes[-1]]["phases"])
    table = Table(title="loanwatch scan, embedded store (SQLite): seconds / peak MiB "
                        "per phase")
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
    parser.add_argument("--bench-dir", type=Path, default=BENCH_DIR)
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--as-of", type=date.fromisoformat, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child is not None:
        print(json.dumps(measure(args.child, args.as_of)))
        return 0
    console = Console(width=160)
    work = BENCH_DIR / "scan-work"
    work.mkdir(parents=True, exist_ok=True)
    results: dict[int, dict[str, Any]] = {}
    for size in sorted(args.sizes):
        source, as_of = ensure_database(size, args.bench_dir, console)
        copy = work / f"scan-{size}.db"
        shutil.copyfile(source, copy)  # the scan writes its run; the original stays as is
        console.print(f"scanning {size:,} borrowers ({source.name}, as of {as_of}) ...")
        results[size] = _child(copy, as_of)
        copy.unlink()
    report(sorted(args.sizes), results, console)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
