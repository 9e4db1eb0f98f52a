"""In-process helpers of the job tests: a runtime on a test database, a worker on threads."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

import dramatiq
from sqlalchemy import Engine, func, select, update

from jobs.broker import build_broker
from jobs.catalog import declare_jobs, load_schedules
from jobs.dead_letter_middleware import DeadLetterRecorder
from jobs.options import JobOptions
from jobs.runtime import JobRuntime
from jobs.schedules import SCHEDULE, ensure_schedules
from jobs.units import UNIT
from tests.jobs import workload

__all__ = ["FAST", "disable_job_schedules", "effects", "reset_effects", "running_worker",
           "settle"]

#: Retries within milliseconds, so a test waits for nothing.
FAST = JobOptions(retry_min_backoff_s=0.01, retry_max_backoff_s=0.05, max_retries=5)


def disable_job_schedules(engine: Engine) -> None:
    """Keep the job modules' own schedules (the daily reviews and collections run), disabled:
    a test that counts every unit then counts only its own. A scheduler keeps them as they
    are (it never enables a schedule again)."""
    ensure_schedules(engine, load_schedules())
    with engine.begin() as connection:
        connection.execute(update(SCHEDULE).values(enabled=False))


def reset_effects(engine: Engine) -> None:
    workload.metadata.drop_all(engine)
    workload.metadata.create_all(engine)


def effects(engine: Engine) -> dict[str, int]:
    """Effect rows per unit key."""
    with engine.connect() as connection:
        rows = connection.execute(select(workload.EFFECTS.c.unit_key, func.count())
                                  .group_by(workload.EFFECTS.c.unit_key)).all()
    return dict(rows)  # type: ignore[arg-type]


@contextmanager
def running_worker(engine: Engine, options: JobOptions = FAST, *,
                   threads: int = 2) -> Iterator[dramatiq.Broker]:
    """The in-process broker with the test jobs declared and a worker on threads; the
    block enqueues, then calls ``broker.join(QUEUE)``."""
    broker = build_broker(None, options)
    runtime = JobRuntime(engine=engine, broker=broker, clock=lambda: datetime.now(UTC))
    broker.add_middleware(DeadLetterRecorder(engine, retry_delays_s=()))
    declare_jobs(broker, workload.JOBS, lambda: runtime)
    broker.emit_after("process_boot")  # starts the time limit's watcher thread
    worker = dramatiq.Worker(broker, worker_threads=threads, worker_timeout=50)
    worker.start()
    try:
        yield broker
        worker.join()
    finally:
        worker.stop()


def settle(broker: dramatiq.Broker, engine: Engine, *, timeout_s: float = 30.0) -> None:
    """Wait until the test queue is drained and no unit is pending or enqueued."""
    deadline = time.monotonic() + timeout_s
    while True:
        broker.join(workload.QUEUE, fail_fast=False, timeout=round(timeout_s * 1000))
        with engine.connect() as connection:
            busy = connection.execute(select(func.count()).select_from(UNIT).where(
                UNIT.c.state.in_(("pending", "enqueued")))).scalar_one()
        if not busy:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"{busy} units still pending or enqueued after {timeout_s} s")
        time.sleep(0.02)
