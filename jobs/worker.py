"""The boot of a worker process: its broker, its dead-letter store, its jobs.

``loanwatch worker`` starts worker processes through Dramatiq's command line; each calls
:func:`boot_worker` (through ``loanwatch.cli.worker.boot_worker_process``, which reads the
settings) before consuming: the broker the options name is bound, the dead-letter recorder
added, and every job of :mod:`jobs.catalog` declared on it, all before any message is
taken.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import dramatiq

from jobs.broker import bind_broker
from jobs.catalog import declare_jobs, load_jobs
from jobs.dead_letter_middleware import DeadLetterRecorder
from jobs.options import JobOptions
from jobs.runtime import JobRuntime

__all__ = ["boot_worker"]


def boot_worker(options: JobOptions, make_runtime: Callable[[dramatiq.Broker], JobRuntime],
                extra_modules: Iterable[str] = ()) -> tuple[dramatiq.Broker, JobRuntime]:
    """Bind the broker of ``options``, build the process's runtime with ``make_runtime``,
    record dead letters in its database, and declare every job.

    Raises:
        ConfigurationError, BackendUnavailable: the broker URL is wrong or unreachable.
    """
    broker = bind_broker(options.broker_url, options)
    runtime = make_runtime(broker)
    broker.add_middleware(DeadLetterRecorder(runtime.engine, clock=runtime.clock))
    declare_jobs(broker, load_jobs(extra_modules), lambda: runtime)
    return broker, runtime
