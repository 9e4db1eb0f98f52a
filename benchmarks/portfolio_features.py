"""The PD model's dataset: time and peak memory of each step of
:func:`risk.models.dataset.build_dataset` on imported portfolios.

    python -m benchmarks.portfolio_features [--database var/bench/embedded-100000.db ...]
        [--as-of 2024-06-30] [--no-graph]

For each embedded store (one SQLite file: graph and records; copy the benchmark stores
before pointing at them, SQLite writes its WAL beside the file; a store imported before a
migration needs ``loanwatch migrate`` on the copy), builds the dataset as of
``--as-of`` (12 months before the generator's last day, so that every label is observed)
in a fresh child process and times every step: reading the whole loan history (the SQL
read and the delinquency pass over every installment on record), reading the events,
dating the defaults, the as-of book and its delinquency pass (the **baseline**: the
classification's own pass, which every as-of consumer of the book pays), then each
feature family. Wall and CPU seconds (on a shared machine the CPU seconds are the steadier
figure), the ratio of each step's CPU seconds to the baseline's, and the process's peak
resident memory when the step ended (peak RSS only grows: the step that raised it is the
one that needed it). Prints one rich table per store.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any, Final

from rich.console import Console
from rich.table import Table

from benchmarks.portfolios import BENCH_DIR
from graph.stores.embedded import EmbeddedGraphStore
from portfolio.database import create_sql_engine
from risk.models.dataset import build_dataset

DEFAULT_DATABASES: Final = (BENCH_DIR / "embedded-100000.db",)
DEFAULT_AS_OF: Final = date(2024, 6, 30)
BASELINE: Final = "delinquency as of the date"
_KIB_PER_MIB: Final = 1024


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / _KIB_PER_MIB


def measure(database: Path, as_of: date, graph_features: bool) -> dict[str, Any]:
    """Build the dataset of the store in ``database``, in this process, step by step."""
    engine = create_sql_engine(f"sqlite:///{database}")
    graph = EmbeddedGraphStore(engine)
    steps: list[dict[str, Any]] = []
    mark = {"name": "", "wall": time.perf_counter(), "cpu": time.process_time()}

    def close_step() -> None:
        if mark["name"]:
            steps.append({"step": mark["name"], "wall": time.perf_counter() - mark["wall"],
                          "cpu": time.process_time() - mark["cpu"], "peak_mib": _peak_mib()})

    def progress(message: str) -> None:
        # build_dataset names each step as it starts: the previous one ended then.
        if message.startswith("features: "):
            return
        close_step()
        mark.update(name=message, wall=time.perf_counter(), cpu=time.process_time())

    @contextmanager
    def phase(name: str) -> Iterator[None]:
        close_step()
        mark.update(name=f"features: {name}", wall=time.perf_counter(),
                    cpu=time.process_time())
        yield
        close_step()
        mark.update(name="")

    started, started_cpu = time.perf_counter(), time.process_time()
    found = build_dataset(engine, graph, as_of, graph_features=graph_features,
                          progress=progress, phase=phase)
    close_step()
    engine.dispose()
    return {"steps": steps, "rows": len(found.party_ids), "in_default": found.in_default,
            "columns": found.frame.shape[1], "positives": int(found.label.sum())
            if found.label is not None else 0,
            "total_wall": time.perf_counter() - started,
            "total_cpu": time.process_time() - started_cpu, "peak_mib": _peak_mib()}


def _child(database: Path, as_of: date, graph_features: bool) -> dict[str, Any]:
    command = [sys.executable, "-m", "benchmarks.portfolio_features", "--measure",
               str(database), "--as-of", as_of.isoformat()]
    if not graph_features:
        command.append("--no-graph")
    done = subprocess.run(command, check=False, capture_output=True, text=True)
    if done.returncode != 0:
        tail = "\n".join(done.stderr.strip().splitlines()[-5:])
        raise SystemExit(f"{database}: the measuring process failed:\n{tail}")
    found: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return found


def _table(database: Path, result: dict[str, Any]) -> Table:
    table = Table(title=f"{database.name}: {result['rows']:,} borrowers scored, "
                        f"{result['in_default']:,} in default left out, "
                        f"{result['positives']:,} defaults within 12 months, "
                        f"{result['columns']} features")
    for column in ("step", "wall s", "CPU s", "CPU / baseline", "peak RSS MiB"):
        table.add_column(column, justify="left" if column == "step" else "right")
    baseline = next((s["cpu"] for s in result["steps"] if s["step"] == BASELINE), None)
    for step in result["steps"]:
        ratio = f"{step['cpu'] / baseline:.2f}" if baseline else "-"
        table.add_row(step["step"], f"{step['wall']:.2f}", f"{step['cpu']:.2f}", ratio,
                      f"{step['peak_mib']:,.0f}")
    table.add_row("[b]total[/b]", f"[b]{result['total_wall']:.2f}[/b]",
                  f"[b]{result['total_cpu']:.2f}[/b]", "", f"[b]{result['peak_mib']:,.0f}[/b]")
    return table


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", type=Path, nargs="+", default=list(DEFAULT_DATABASES))
    parser.add_argument("--as-of", type=date.fromisoformat, default=DEFAULT_AS_OF)
    parser.add_argument("--no-graph", action="store_true", help="leave the graph family out")
    parser.add_argument("--measure", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.measure is not None:
        print(json.dumps(measure(args.measure, args.as_of, not args.no_graph)))
        return 0
    console = Console()
    for database in args.database:
        if not database.is_file():
            console.print(f"[red]{database}: no such store[/red] (import a portfolio first: "
                          "python -m benchmarks.import_once)")
            return 1
        console.print(_table(database, _child(database, args.as_of, not args.no_graph)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
