"""The jobs Loanwatch runs, declared on a broker when a worker starts.

A job module (``jobs/actors/*.py``) defines ``JOBS``, a tuple of :class:`JobSpec`, and may
define ``SCHEDULES``, a tuple of :class:`jobs.schedules.ScheduleSpec`; it is listed in
:data:`JOB_MODULES` (one line). A job's function is plain: ``run(context, *args)``, thin
(parse the arguments, call a service, return); :func:`declare_jobs` wraps it into a
Dramatiq actor that

- checks the message names a unit of work (its key, the first argument) and refuses a
  malformed payload with :class:`jobs.errors.JobPayloadError` (dead-lettered, no retry);
- runs an *atomic* job inside :func:`jobs.units.unit_transaction`: its effect, written
  with ``context.connection``, commits with the unit's ``done``, and a second delivery
  does nothing; a *non-atomic* job (long, resumable work that commits as it goes, such as
  the key rotation) runs first and its unit is marked done after;
- records a failed attempt's error on the unit and lets Dramatiq's ``Retries`` decide
  (transient faults only, :mod:`jobs.retry_policy`).
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Final

import dramatiq
from sqlalchemy.exc import SQLAlchemyError

from jobs.errors import JobPayloadError, UnknownUnit
from jobs.runtime import JobContext, JobRuntime
from jobs.schedules import ScheduleSpec
from jobs.units import get_unit, record_failure, unit_transaction

__all__ = ["JOB_MODULES", "JobSpec", "declare_jobs", "load_jobs", "load_schedules", "run_job"]

#: Modules that define ``JOBS`` (and maybe ``SCHEDULES``). Add a module here when you add
#: jobs.
JOB_MODULES: Final = (
    "jobs.actors.key_rotation",
    "jobs.actors.notifications",
    "jobs.actors.reviews",
    "jobs.actors.collections",
    "jobs.actors.event_flow",
    "jobs.actors.housekeeping",
)

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class JobSpec:
    """A job: the actor's name and queue, its function, and how it runs.

    Attributes:
        run: ``run(context, *args)``; ``args`` are the unit's arguments (JSON values).
        atomic: run inside the unit's transaction (see the module docstring).
        time_limit_s: this job's time limit, when not the worker's default.
    """

    actor_name: str
    queue_name: str
    run: Callable[..., None]
    atomic: bool = True
    time_limit_s: float | None = None


def run_job(spec: JobSpec, runtime: JobRuntime, args: Sequence[Any],
            kwargs: dict[str, Any]) -> None:
    """Run one message of ``spec`` (see the module docstring).

    Raises:
        JobPayloadError: the message does not name a unit of work, or names none stored.
        Exception: whatever the job raised (after its error is kept on the unit).
    """
    if kwargs or not args or not isinstance(args[0], str) or not args[0]:
        raise JobPayloadError(
            f"a message to {spec.actor_name} must carry its unit's key as its first "
            f"argument and no keyword arguments; got args={list(args)!r:.200} "
            f"kwargs={kwargs!r:.200}")
    key, rest = args[0], tuple(args[1:])
    try:
        if spec.atomic:
            with unit_transaction(runtime.engine, key, now=runtime.clock()) as connection:
                if connection is None:
                    logger.info("unit %s is done already: nothing to do", key,
                                extra={"fields": {"unit": key, "actor": spec.actor_name}})
                    return
                spec.run(JobContext(key, runtime, connection), *rest)
            return
        unit = get_unit(runtime.engine, key)
        if unit is None:
            raise UnknownUnit(key)
        if unit.state == "done":
            return
        spec.run(JobContext(key, runtime), *rest)
        with unit_transaction(runtime.engine, key, now=runtime.clock()):
            pass
    except UnknownUnit:
        raise
    except BaseException as exc:
        try:
            record_failure(runtime.engine, key, exc, now=runtime.clock())
        except SQLAlchemyError as recording:
            logger.warning("could not record the failure of unit %s: %s", key, recording)
        raise


def declare_jobs(broker: dramatiq.Broker, specs: Iterable[JobSpec],
                 runtime: Callable[[], JobRuntime]) -> dict[str, dramatiq.Actor[Any, Any]]:
    """Declare ``specs`` as actors of ``broker``; ``runtime`` gives the process's runtime
    when a message runs. Returns the actors by name.

    Raises:
        ValueError: two jobs share a name.
    """
    actors: dict[str, dramatiq.Actor[Any, Any]] = {}
    for spec in specs:
        if spec.actor_name in actors:
            raise ValueError(f"two jobs are named {spec.actor_name!r}")

        def perform(*args: Any, _spec: JobSpec = spec, **kwargs: Any) -> None:
            run_job(_spec, runtime(), args, kwargs)

        perform.__name__ = spec.actor_name
        options: dict[str, Any] = {}
        if spec.time_limit_s is not None:
            options["time_limit"] = round(spec.time_limit_s * 1000)
        actors[spec.actor_name] = dramatiq.actor(
            perform, actor_name=spec.actor_name, queue_name=spec.queue_name, broker=broker,
            **options)
    return actors


def _modules(extra: Iterable[str]) -> list[Any]:
    return [importlib.import_module(name) for name in (*JOB_MODULES, *extra)]


def load_jobs(extra_modules: Iterable[str] = ()) -> tuple[JobSpec, ...]:
    """Every job of :data:`JOB_MODULES` and of ``extra_modules``."""
    return tuple(spec for module in _modules(extra_modules)
                 for spec in getattr(module, "JOBS", ()))


def load_schedules(extra_modules: Iterable[str] = ()) -> tuple[ScheduleSpec, ...]:
    """Every periodic schedule of :data:`JOB_MODULES` and of ``extra_modules``."""
    return tuple(spec for module in _modules(extra_modules)
                 for spec in getattr(module, "SCHEDULES", ()))
