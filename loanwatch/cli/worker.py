"""``loanwatch worker``: Dramatiq worker processes for the jobs, and the scheduler.

Runs Dramatiq's own process manager (``dramatiq.cli.main``): ``--processes`` worker
processes of ``--threads`` threads each, every one booted by :func:`boot_worker_process`
(the broker of ``LOANWATCH_BROKER_URL``, the dead-letter store, every job), plus, unless
``--no-scheduler``, one scheduler process (:func:`run_scheduler_process`, see
:mod:`jobs.scheduler`; several are safe: they share the work). Logs are JSON lines on
stderr, like the API's. SIGTERM (or Ctrl-C) stops it cleanly: each process finishes the
jobs it runs and hands its prefetched messages back to the broker; SIGKILL loses nothing
either: the broker hands a dead worker's messages to another after the heartbeat window
(``LOANWATCH_BROKER_HEARTBEAT_TIMEOUT_S``).
"""

from __future__ import annotations

import os
import signal
import threading

import typer
from dramatiq.cli import main as dramatiq_main
from dramatiq.cli import make_argument_parser

from api.logs import configure_json_logging
from jobs.broker import build_broker
from jobs.catalog import load_jobs, load_schedules
from jobs.scheduler import Scheduler
from jobs.schedules import ensure_schedules
from jobs.worker import boot_worker
from loanwatch.cli.job_wiring import job_options, make_runtime
from loanwatch.errors import ConfigurationError
from loanwatch.settings import Settings
from loanwatch.wiring import create_engine_from_settings

__all__ = ["boot_worker_process", "run_scheduler_process", "worker"]

#: How the supervisor hands its processes the extra job modules to load (comma-separated;
#: not a ``LOANWATCH_`` name, so the settings ignore it).
JOB_MODULES_VARIABLE = "_LOANWATCH_WORKER_JOB_MODULES"


def _extra_modules() -> tuple[str, ...]:
    return tuple(name for name in os.environ.get(JOB_MODULES_VARIABLE, "").split(",") if name)


def worker(
    processes: int = typer.Option(2, "--processes", "-p", min=1, max=64,
                                  help="Worker processes."),
    threads: int = typer.Option(4, "--threads", "-t", min=1, max=256,
                                help="Worker threads per process."),
    scheduler: bool = typer.Option(True, "--scheduler/--no-scheduler",
                                   help="Also run the scheduler (in a process of its own)."),
    queues: list[str] = typer.Option([], "--queue", "-Q",
                                     help="Consume only these queues (repeat; default all)."),
    jobs_modules: list[str] = typer.Option([], "--jobs-module",
                                           help="Also load the jobs of this module (repeat)."),
) -> None:
    """Run worker processes for the jobs (and the scheduler) until SIGTERM or Ctrl-C."""
    settings = Settings.from_environ()
    options = job_options(settings)
    if options.broker_url is None:
        raise ConfigurationError(
            "loanwatch worker needs a broker: LOANWATCH_BROKER_URL is not set",
            suggestion="set LOANWATCH_BROKER_URL=redis://HOST:PORT/DB; without one, jobs run "
                       "inside `loanwatch serve` and `loanwatch demo`")
    # Fail here with one clear message, not in every process: the broker answers, the
    # database answers and is migrated, the job modules import.
    build_broker(options.broker_url, options).close()
    create_engine_from_settings(settings).dispose()
    load_jobs(jobs_modules)
    os.environ[JOB_MODULES_VARIABLE] = ",".join(jobs_modules)
    configure_json_logging()
    arguments = ["loanwatch.cli.worker:boot_worker_process", "--processes", str(processes),
                 "--threads", str(threads), "--skip-logging"]
    if queues:
        arguments += ["--queues", *queues]
    if scheduler:
        arguments += ["--fork-function", "loanwatch.cli.worker:run_scheduler_process"]
    code = dramatiq_main(make_argument_parser().parse_args(arguments))
    raise typer.Exit(code or 0)


def boot_worker_process() -> None:
    """Dramatiq's broker set-up in each worker process (see :func:`jobs.worker.boot_worker`)."""
    settings = Settings.from_environ()
    boot_worker(job_options(settings), lambda broker: make_runtime(settings, broker),
                _extra_modules())


def run_scheduler_process() -> int:
    """The scheduler's process: looks every ``LOANWATCH_SCHEDULER_INTERVAL_S`` until
    SIGTERM."""
    settings = Settings.from_environ()
    run_scheduler(settings, _extra_modules(), once=False)
    return 0


def run_scheduler(settings: Settings, modules: tuple[str, ...], *, once: bool) -> None:
    """Keep the job modules' schedules, then look once or until SIGTERM / Ctrl-C."""
    options = job_options(settings)
    engine = create_engine_from_settings(settings)
    broker = build_broker(options.broker_url, options)
    try:
        ensure_schedules(engine, load_schedules(modules))
        looker = Scheduler(engine, broker, batch=options.scheduler_batch,
                           stale_after_s=options.stale_after_s,
                           interval_s=options.scheduler_interval_s)
        if once:
            looker.run_once()
            return
        stop = threading.Event()
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stop.set())
        looker.run_forever(stop)
    finally:
        broker.close()
        engine.dispose()


def scheduler(
    once: bool = typer.Option(False, "--once", help="Look once and exit."),
    jobs_modules: list[str] = typer.Option([], "--jobs-module",
                                           help="Also keep the schedules of this module."),
) -> None:
    """Run the scheduler alone: enqueue what the database says is due, every
    LOANWATCH_SCHEDULER_INTERVAL_S, until SIGTERM or Ctrl-C."""
    settings = Settings.from_environ()
    if settings.broker_url_value is None:
        raise ConfigurationError(
            "loanwatch scheduler needs a broker: LOANWATCH_BROKER_URL is not set",
            suggestion="set LOANWATCH_BROKER_URL; without one, `loanwatch serve` schedules "
                       "its own in-process jobs")
    if not once:
        configure_json_logging()
    run_scheduler(settings, tuple(jobs_modules), once=once)


if __name__ == "__main__":  # `python -m loanwatch.cli.worker`: the worker alone, quicker to start
    from loanwatch.cli.errors import run_reporting_errors

    single = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
    single.command()(worker)
    run_reporting_errors(single)
