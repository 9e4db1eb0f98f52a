"""The daily collections strategy step on a generated portfolio, against the daily
collections run it follows.

    python -m benchmarks.collections_strategies [--size 100000] [--bench-dir var/bench]
                                                [--reuse-stale]

The imported embedded store of ``--size`` borrowers (:mod:`benchmarks.portfolios`) is copied
into a temporary folder (the original is never written), migrated, and then, in this
process, with the built-in strategies (a ``standard`` champion, a 20% ``gentle``
challenger):

* **collections run (D-1)**: the first run, which opens the cases;
* **step (D-1)**: the first strategy step: every open case assigned, its steps planned;
* **collections run (D)**: the next daily run (the baseline: the step runs after the run
  every day);
* **step (D)**: the next day's step: the first messages dispatched and tasks opened, under
  the contact hours and frequency limits;
* **step again (D)**: the same day again (what a second worker or a rerun finds: nothing
  left to send);
* **report**: the champion/challenger outcomes as of D.

Messages go to :class:`risk.collections.dispatch.ActionLogDispatcher` (the action rows are
the record). The ratios, not the absolute times, are what to compare between machines.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Final

from rich.console import Console
from rich.table import Table

from benchmarks.portfolios import BENCH_DIR, ensure_embedded

DEFAULT_SIZE: Final = 100_000
_AUDIT_KEY: Final = b"strategies-benchmark-audit-key-0123456789"


def measure(database: Path, as_of: Any) -> list[tuple[str, float, str]]:
    """The timings on ``database`` (already a copy): (step, seconds, what it did)."""
    from sqlalchemy import text

    from auth.audit import AuditTrail
    from loanwatch.migrations import migrate
    from portfolio.database import create_sql_engine
    from risk.collections.dispatch import ActionLogDispatcher
    from risk.collections.run import run_collections
    from risk.collections.strategy_config import DEFAULT_STRATEGIES
    from risk.collections.strategy_report import strategy_report
    from risk.collections.strategy_step import run_strategy_step

    engine = create_sql_engine(f"sqlite:///{database}")
    rows: list[tuple[str, float, str]] = []
    dispatcher = ActionLogDispatcher()
    try:
        migrate(engine)
        trail = AuditTrail(engine, key=_AUDIT_KEY)
        try:
            for label, day in (("collections run (D-1)", as_of - timedelta(days=1)),
                               ("step (D-1)", as_of - timedelta(days=1)),
                               ("collections run (D)", as_of), ("step (D)", as_of),
                               ("step again (D)", as_of)):
                started = time.perf_counter()
                if label.startswith("collections"):
                    outcome = run_collections(engine, day, audit=trail, actor="benchmark")
                    cases = outcome.last.summary.get("cases", {})
                    rows.append((label, time.perf_counter() - started,
                                 ", ".join(f"{n:,} {e}" for e, n in cases.items() if n)
                                 or "no case transition"))
                    continue
                clock = datetime.combine(day, datetime.min.time(), UTC) + timedelta(hours=2)
                step = run_strategy_step(engine, day, config=DEFAULT_STRATEGIES,
                                         dispatcher=dispatcher, audit=trail,
                                         client_id="benchmark", now=lambda c=clock: c)
                seconds = time.perf_counter() - started
                did = [f"{sum(step.assigned.values()):,} cases assigned"]
                did += [f"{n:,} {k} sent" for k, n in sorted(step.dispatched.items())]
                did += [f"{n:,} {k} opened" for k, n in sorted(step.tasks.items())]
                did += [f"{n:,} waiting ({k})" for k, n in sorted(step.waiting.items())]
                rows.append((label, seconds, ", ".join(did)))
        finally:
            trail.close()
        started = time.perf_counter()
        report = strategy_report(engine, as_of)
        rows.append(("report (D)", time.perf_counter() - started, "; ".join(
            f"{o.strategy}/{o.arm}: {o.cases:,} cases" for o in report.outcomes)))
        with engine.connect() as connection:
            actions = connection.execute(text(
                "SELECT count(*) FROM collection_action")).scalar()
        rows.append(("(actions planned)", 0.0, f"{actions:,}"))
    finally:
        engine.dispose()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=DEFAULT_SIZE)
    parser.add_argument("--bench-dir", type=Path, default=BENCH_DIR)
    parser.add_argument("--reuse-stale", action="store_true",
                        help="use the imported store even if the generator changed since")
    args = parser.parse_args()
    console = Console()
    store = ensure_embedded(args.size, bench=args.bench_dir, console=console,
                            reuse_stale=args.reuse_stale)
    with tempfile.TemporaryDirectory(prefix="lw-strategies-") as folder:
        copy = Path(folder) / "bench.db"
        shutil.copyfile(store.database, copy)
        console.print(f"strategies on {args.size:,} borrowers (a copy of {store.database}, "
                      f"as of {store.as_of}) ...")
        rows = measure(copy, store.as_of)
    baseline = rows[2][1]  # the daily collections run (D)
    table = Table(title=f"Collections strategy step, {args.size:,} borrowers, as of "
                  f"{store.as_of}")
    for name in ("step", "seconds", "x daily run", "what it did"):
        table.add_column(name, justify="right" if name in ("seconds", "x daily run")
                         else "left")
    for step, seconds, did in rows:
        table.add_row(step, f"{seconds:.2f}" if seconds else "",
                      f"{seconds / baseline:.2f}" if seconds and baseline else "", did)
    console.print(table)


if __name__ == "__main__":
    main()
