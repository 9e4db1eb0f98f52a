"""The reviews of a whole portfolio end to end through a real broker and ``loanwatch worker``
processes, against the same service called in one process without a broker.

    python -m benchmarks.reviews_run --broker-url redis://127.0.0.1:6379/8 [--size 100000]
        [--workers 2] [--threads 1] [--batch 500] [--limit N] [--work-dir DIR]

The imported store (``<bench-dir>/embedded-<size>.db``: the embedded graph and the records
in one SQLite file) is copied (never written) and migrated. Then, on the same copy:

1. **one process, no broker**: every loan due on the portfolio's date is reviewed in
   batches of ``--batch`` through :func:`risk.reviews.run_reviews`, with the date's
   :class:`~risk.reviews.ReviewBasis` built first (timed with the reviews: a worker builds
   it too);
2. the reviews and review dates are deleted, so the same loans are due again;
3. **through the broker**: ``--workers`` worker processes (``loanwatch worker --processes
   N --threads T``, their scheduler process included) are started and awaited; then the
   day's plan unit is added (``jobs/actors/reviews.py``; with ``--limit`` the batch units
   of the first N due loans instead), and the clock runs until every batch unit is done:
   the scheduler's looks, the plan, Redis, each worker's basis, the reviews and their
   commits, all of it. The reviews are then counted: each due loan exactly once.

The table gives reviews/s of both, the speed-up, and the overhead: the worker-seconds the
broker run spent per review over the seconds one process spent (1.0: no overhead; issue
9's aim is under 1.5, and 100,000 reviews in under two minutes). The schedules of the
worker (the daily plan and the collections run) are kept disabled, so only the reviews run.
The Redis database given is the broker's: its Dramatiq queues are emptied first.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from contextlib import suppress
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, Final

from rich.console import Console
from rich.table import Table

__all__ = ["measure_broker", "report_broker"]

ROOT: Final = Path(__file__).resolve().parents[1]
#: How long the workers may take to start, and the reviews to end (seconds).
BOOT_TIMEOUT_S: Final = 300.0
RUN_TIMEOUT_S: Final = 3_600.0


def _due(engine: Any, as_of: date, limit: int | None) -> list[str]:
    from risk.reviews.schedule import due_review_batches

    loans = [loan for batch in due_review_batches(engine, as_of, 10_000) for loan in batch]
    return loans[:limit] if limit else loans


def _in_one_process(engine: Any, graph: Any, as_of: date, loans: list[str], batch: int,
                    console: Console) -> dict[str, float]:
    from risk.reviews import review_basis, run_reviews

    started = time.perf_counter()
    basis = review_basis(engine, graph, as_of)
    built = time.perf_counter() - started
    for index, start in enumerate(range(0, len(loans), batch)):
        run_reviews(engine, graph, loans[start:start + batch], as_of, basis=basis)
        if index % 40 == 0:
            console.print(f"  one process: {start + batch:,} reviewed, "
                          f"{time.perf_counter() - started:.0f} s", highlight=False)
    return {"seconds": time.perf_counter() - started, "basis_seconds": built}


def _forget_reviews(engine: Any) -> None:
    from sqlalchemy import delete

    from portfolio.reviews import ReviewRecord, ReviewSchedule

    with engine.begin() as connection:
        connection.execute(delete(ReviewRecord.__table__))  # type: ignore[arg-type]
        connection.execute(delete(ReviewSchedule.__table__))  # type: ignore[arg-type]


def _disable_schedules(engine: Any) -> None:
    """Keep the job modules' schedules, disabled: only the benchmark's units run."""
    from sqlalchemy import update

    from jobs.catalog import load_schedules
    from jobs.records import JobSchedule
    from jobs.schedules import ensure_schedules

    ensure_schedules(engine, load_schedules())
    with engine.begin() as connection:
        connection.execute(update(JobSchedule.__table__)  # type: ignore[arg-type]
                           .values(enabled=False))


def _units(engine: Any, as_of: date, loans: list[str], batch: int, limited: bool) -> int:
    """Add the plan unit (or, with a limit, the batch units of ``loans``); how many batch
    units will run."""
    from jobs.actors.reviews import PLAN_REVIEWS, REVIEW_BATCH, REVIEWS_QUEUE, batch_key
    from jobs.units import UnitSpec, add_units

    now = datetime.now(UTC)
    if limited:
        specs = [UnitSpec(key=batch_key(as_of, n), actor_name=REVIEW_BATCH,
                          queue_name=REVIEWS_QUEUE, due_at=now,
                          args=(as_of.isoformat(), loans[start:start + batch]))
                 for n, start in enumerate(range(0, len(loans), batch))]
    else:
        specs = [UnitSpec(key=f"reviews.plan@benchmark-{as_of.isoformat()}",
                          actor_name=PLAN_REVIEWS, queue_name=REVIEWS_QUEUE, due_at=now,
                          args=(now.isoformat(),))]
    add_units(engine, specs, now=now)
    return -(-len(loans) // batch)


def _start_workers(database: Path, broker_url: str, as_of: date, *, workers: int,
                   threads: int, batch: int, log: Path) -> subprocess.Popen[bytes]:
    environ = {name: value for name, value in os.environ.items()
               if not name.startswith("LOANWATCH_")}
    environ.update({"LOANWATCH_DATABASE_URL": f"sqlite:///{database}",
                    "LOANWATCH_BROKER_URL": broker_url,
                    "LOANWATCH_DATA_DIR": str(log.parent / "data"),
                    "LOANWATCH_REVIEW_BATCH": str(batch),
                    "LOANWATCH_JOBS_AS_OF": as_of.isoformat(),
                    "LOANWATCH_SCHEDULER_INTERVAL_S": "0.5",
                    "PYTHONUNBUFFERED": "1"})
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "loanwatch.cli.worker", "--processes", str(workers),
             "--threads", str(threads)], cwd=ROOT, env=environ, stdout=out,
            stderr=subprocess.STDOUT, start_new_session=True)


def _wait(condition: Any, what: str, timeout_s: float, process: subprocess.Popen[bytes]
          ) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if process.poll() is not None:
            raise RuntimeError(f"the workers exited (code {process.returncode}) while "
                               f"waiting for {what}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out after {timeout_s:g} s waiting for {what}")
        time.sleep(0.2)


def _stop(process: subprocess.Popen[bytes]) -> None:
    with suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        with suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


def _through_broker(database: Path, engine: Any, broker_url: str, as_of: date,
                    loans: list[str], *, workers: int, threads: int, batch: int,
                    limited: bool, console: Console) -> dict[str, float]:
    from jobs.actors.reviews import REVIEWS_QUEUE
    from jobs.broker import build_broker
    from jobs.dead_letters import list_dead_letters
    from jobs.options import JobOptions
    from jobs.units import count_units

    broker = build_broker(broker_url, JobOptions(broker_url=broker_url))
    broker.declare_queue(REVIEWS_QUEUE)
    broker.flush_all()  # what an earlier, interrupted run left queued
    broker.close()
    _disable_schedules(engine)
    log = database.parent / "workers.log"
    process = _start_workers(database, broker_url, as_of, workers=workers, threads=threads,
                             batch=batch, log=log)
    try:
        _wait(lambda: log.read_text(errors="replace").count("Worker process is ready")
              >= workers, "the workers to start", BOOT_TIMEOUT_S, process)
        started = time.perf_counter()
        batches = _units(engine, as_of, loans, batch, limited)
        last = 0.0

        def finished() -> bool:
            nonlocal last
            done = count_units(engine, prefix="reviews@").get("done", 0)
            if time.perf_counter() - last > 15:
                last = time.perf_counter()
                console.print(f"  broker: {done:,} of {batches:,} batches done, "
                              f"{last - started:.0f} s", highlight=False)
            return done == batches

        _wait(finished, "every batch to be done", RUN_TIMEOUT_S, process)
        seconds = time.perf_counter() - started
    finally:
        _stop(process)
    return {"seconds": seconds, "batches": batches,
            "dead_letters": len(list_dead_letters(engine))}


def measure_broker(database: Path, as_of: date, *, broker_url: str, workers: int,
                   threads: int, batch: int, limit: int | None,
                   console: Console) -> dict[str, Any]:
    """Both runs on the copy ``database`` (module docstring); the figures."""
    from sqlalchemy import func, select

    from graph.stores.embedded import EmbeddedGraphStore
    from loanwatch.migrations import migrate
    from portfolio.database import create_sql_engine
    from portfolio.reviews import ReviewRecord

    engine = create_sql_engine(f"sqlite:///{database}")
    graph = EmbeddedGraphStore(engine)
    try:
        migrate(engine)
        loans = _due(engine, as_of, limit)
        console.print(f"{len(loans):,} loans due; one process first ...")
        alone = _in_one_process(engine, graph, as_of, loans, batch, console)
        _forget_reviews(engine)
        console.print(f"through {broker_url} with {workers} worker processes ...")
        broker = _through_broker(database, engine, broker_url, as_of, loans, workers=workers,
                                 threads=threads, batch=batch, limited=bool(limit),
                                 console=console)
        review = ReviewRecord.__table__  # type: ignore[attr-defined]
        with engine.connect() as connection:
            written, distinct = connection.execute(select(
                func.count(), func.count(review.c.loan_id.distinct()))).one()
    finally:
        graph.close()
        engine.dispose()
    return {"reviews": len(loans), "alone": alone, "broker": broker, "written": written,
            "distinct": distinct, "workers": workers, "threads": threads, "batch": batch,
            "load": os.getloadavg()}


def report_broker(size: int, figures: dict[str, Any], console: Console) -> None:
    reviews = figures["reviews"]
    alone, broker = figures["alone"]["seconds"], figures["broker"]["seconds"]
    workers = figures["workers"]
    table = Table(title=f"reviews of a {size:,}-borrower portfolio: one process vs "
                        f"{workers} worker processes through Redis (embedded store, SQLite)")
    table.add_column("run")
    table.add_column("reviews", justify="right")
    table.add_column("total s", justify="right")
    table.add_column("reviews/s", justify="right")
    table.add_row("one process, no broker (basis included)", f"{reviews:,}", f"{alone:.1f}",
                  f"{reviews / alone:.0f}")
    table.add_row(f"Redis, {workers} workers x {figures['threads']} thread(s), end to end",
                  f"{figures['written']:,}", f"{broker:.1f}", f"{reviews / broker:.0f}",
                  style="bold")
    console.print(table)
    console.print(f"speed-up (one process s / broker s): {alone / broker:.2f}x; overhead "
                  f"(broker s x workers / one process s): {broker * workers / alone:.2f}x; "
                  f"basis {figures['alone']['basis_seconds']:.1f} s; batches of "
                  f"{figures['batch']}: {figures['broker']['batches']:,}; reviews written "
                  f"{figures['written']:,} for {figures['distinct']:,} loans; dead letters "
                  f"{figures['broker']['dead_letters']}; load average "
                  f"at the end {', '.join(f'{x:.1f}' for x in figures['load'])}",
                  highlight=False)
    if figures["written"] != reviews or figures["distinct"] != reviews:
        console.print("[red]the broker run did not write each due review exactly once[/]")

