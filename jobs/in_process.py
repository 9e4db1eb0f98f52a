"""Jobs inside the current process: worker threads and a scheduler thread.

With no broker URL (``make demo``, a laptop), the process that serves the API also runs
its jobs: :func:`start_in_process_jobs` declares the jobs on the in-process broker, starts
a Dramatiq worker on threads of this process and the scheduler on one more thread, so
reviews and collections run on their own with no extra command. Messages live in memory:
what was queued when the process stops is enqueued again from the database by the next
start's scheduler (units stay ``enqueued`` until done; see ``stale_after_s``).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass

import dramatiq

from jobs.catalog import JobSpec, declare_jobs
from jobs.dead_letter_middleware import DeadLetterRecorder
from jobs.options import JobOptions
from jobs.runtime import JobRuntime
from jobs.scheduler import Scheduler
from jobs.schedules import ScheduleSpec, ensure_schedules

__all__ = ["InProcessJobs", "start_in_process_jobs"]

#: Milliseconds an idle worker thread waits for a message before looking again.
WORKER_TIMEOUT_MS = 200


@dataclass
class InProcessJobs:
    """Running jobs: the broker to enqueue on, the worker, the scheduler; :meth:`stop`."""

    broker: dramatiq.Broker
    worker: dramatiq.Worker
    scheduler: Scheduler | None
    runtime: JobRuntime
    _stop: threading.Event
    _thread: threading.Thread | None

    def stop(self, timeout_s: float = 30.0) -> None:
        """Stop the scheduler, then the worker (jobs running finish first)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=timeout_s)
        self.worker.stop(timeout=round(timeout_s * 1000))
        self.runtime.close()


def start_in_process_jobs(runtime: JobRuntime, jobs: Iterable[JobSpec],
                          schedules: Iterable[ScheduleSpec], options: JobOptions, *,
                          threads: int = 2, scheduler: bool = True) -> InProcessJobs:
    """Declare ``jobs`` on ``runtime.broker``, keep ``schedules``, and start worker threads
    and (unless ``scheduler`` is false) the scheduler thread."""
    broker = runtime.broker
    broker.add_middleware(DeadLetterRecorder(runtime.engine, clock=runtime.clock))
    declare_jobs(broker, jobs, lambda: runtime)
    ensure_schedules(runtime.engine, schedules)
    broker.emit_after("process_boot")  # as a worker process would: starts the time limit
    worker = dramatiq.Worker(broker, worker_threads=threads, worker_timeout=WORKER_TIMEOUT_MS)
    worker.start()
    stop = threading.Event()
    looker: Scheduler | None = None
    thread: threading.Thread | None = None
    if scheduler:
        looker = Scheduler(runtime.engine, broker, batch=options.scheduler_batch,
                           stale_after_s=options.stale_after_s,
                           interval_s=options.scheduler_interval_s, clock=runtime.clock)
        thread = threading.Thread(target=looker.run_forever, args=(stop,), daemon=True,
                                  name="loanwatch-scheduler")
        thread.start()
    return InProcessJobs(broker=broker, worker=worker, scheduler=looker, runtime=runtime,
                         _stop=stop, _thread=thread)
