"""Graph features per party: time and peak memory of each phase on generated portfolios.

    python -m benchmarks.features [--sizes 10000 100000] [--betweenness-k 64]

For each size, generates the portfolio (seed 7, kept under ``var/bench`` for the next run)
and imports it into an embedded SQLite store of its own (``var/bench/features-N.db``, kept
too), then computes :func:`risk.network.features.party_features` as of the generator's last
day (2025-06-30) twice, each time in a
fresh child process: once for the time of each phase (wall and CPU seconds: on a shared
machine the CPU time is the steadier figure), once under ``tracemalloc`` for the
memory each phase allocated above what was live when it began (numpy, scipy and networkx
allocations are all traced; tracemalloc slows the Python-heavy phases, so its times are
not the ones reported). Prints one rich table.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from benchmarks.portfolios import ensure_embedded
from graph.stores.embedded import EmbeddedGraphStore
from portfolio.database import create_sql_engine
from risk.classification.history import RepaymentHistory
from risk.network.features import PHASES, FeatureParameters, party_features
from seeds.config import PortfolioConfig

DEFAULT_SIZES = (10_000, 100_000)
MIB = 1024 * 1024
#: The generator's last day of history: the features are computed as of it.
AS_OF = PortfolioConfig().as_of


def measure(database: Path, traced: bool, betweenness_k: int) -> dict[str, Any]:
    """Compute the features of the store in ``database``, in this process."""
    seconds: dict[str, float] = {}
    cpu: dict[str, float] = {}
    peaks: dict[str, float] = {}

    @contextmanager
    def phase(name: str) -> Iterator[None]:
        if traced:
            tracemalloc.reset_peak()
            before = tracemalloc.get_traced_memory()[0]
        started, started_cpu = time.perf_counter(), time.process_time()
        yield
        seconds[name] = time.perf_counter() - started
        cpu[name] = time.process_time() - started_cpu
        if traced:
            peaks[name] = (tracemalloc.get_traced_memory()[1] - before) / MIB

    if traced:
        tracemalloc.start()
    engine = create_sql_engine(f"sqlite:///{database}")
    store = EmbeddedGraphStore(engine)
    try:
        started = time.perf_counter()
        features = party_features(store, RepaymentHistory(engine), as_of=AS_OF,
                                  params=FeatureParameters(betweenness_k=betweenness_k),
                                  phase=phase)
        total = time.perf_counter() - started
    finally:
        engine.dispose()
    risk_links = int((features.degrees[:, -1] > 0).sum())
    return {
        "parties": features.n_parties, "risk_parties": risk_links,
        "risk_edges": int(features.degrees[:, -1].sum()) // 2,
        "defaulted": int(features.defaulted.sum()),
        "communities": int(features.community.max()) + 1 if features.n_parties else 0,
        "seconds": seconds, "cpu_seconds": cpu, "peaks_mib": peaks, "total_s": total,
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def _child(database: Path, traced: bool, betweenness_k: int) -> dict[str, Any]:
    command = [sys.executable, "-m", "benchmarks.features", "--measure", str(database),
               "--betweenness-k", str(betweenness_k)]
    if traced:
        command.append("--traced")
    done = subprocess.run(command, check=True, capture_output=True, text=True)
    return json.loads(done.stdout)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=list(DEFAULT_SIZES))
    parser.add_argument("--betweenness-k", type=int, default=64)
    parser.add_argument("--no-memory", action="store_true",
                        help="Skip the traced run (times only).")
    parser.add_argument("--measure", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--traced", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.measure:
        json.dump(measure(args.measure, args.traced, args.betweenness_k), sys.stdout)
        return 0
    console = Console()
    runs = []
    for size in args.sizes:
        database = ensure_embedded(size, console=console).database
        timed = _child(database, False, args.betweenness_k)
        traced = None if args.no_memory else _child(database, True, args.betweenness_k)
        runs.append((size, timed, traced))
    table = Table(title=f"Graph features per party as of {AS_OF} (betweenness k = "
                  f"{args.betweenness_k}): "
                  "seconds (CPU seconds) / MiB allocated above the live set, per phase")
    table.add_column("phase")
    for size, timed, _ in runs:
        table.add_column(f"{size:,} borrowers ({timed['parties']:,} parties, "
                         f"{timed['risk_edges']:,} risk links)", justify="right")
    for name in PHASES:
        cells = []
        for _, timed, traced in runs:
            mib = "" if traced is None else f" / {traced['peaks_mib'][name]:.0f} MiB"
            cells.append(f"{timed['seconds'][name]:.2f} s "
                         f"({timed['cpu_seconds'][name]:.2f}){mib}")
        table.add_row(name, *cells)
    table.add_row("total (peak RSS)", *[
        f"{timed['total_s']:.2f} s ({timed['peak_rss_mib']:.0f} MiB RSS)"
        for _, timed, _ in runs])
    table.add_row("defaulted / communities", *[
        f"{timed['defaulted']:,} / {timed['communities']:,}" for _, timed, _ in runs])
    console.print(table)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
