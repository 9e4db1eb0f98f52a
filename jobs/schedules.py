"""Periodic schedules, kept in SQL: each tick becomes one unit of work.

A schedule fires every ``interval_s`` seconds from its first due time. When the scheduler
looks (:func:`fire_due_schedules`) and one or more ticks have passed since it last fired,
it creates **one** unit for the latest tick passed (key ``NAME@2026-12-02T03:00:00Z``,
arguments: the schedule's own, then that tick as ISO 8601) and moves the next due time to
the first tick after now: a tick missed during an outage runs once, not once per missed
tick. The schedule's row is updated only if its due time is still the one read, in the
transaction that creates the unit, so two schedulers never fire the same tick twice.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Final

from sqlalchemy import Connection, Engine, select, update
from sqlalchemy.dialects import postgresql, sqlite

from jobs.errors import ScheduleError
from jobs.records import JobSchedule
from jobs.units import UnitSpec, insert_units

__all__ = [
    "Schedule",
    "ScheduleSpec",
    "ensure_schedules",
    "fire_due_schedules",
    "latest_tick",
    "list_schedules",
    "tick_key",
]

SCHEDULE = JobSchedule.__table__  # type: ignore[attr-defined]
_TICK_FORMAT: Final = "%Y-%m-%dT%H:%M:%SZ"


@dataclass(frozen=True, slots=True)
class ScheduleSpec:
    """A periodic schedule to keep: its name, the job it runs, its period and first tick."""

    name: str
    actor_name: str
    queue_name: str
    interval_s: int
    first_due_at: datetime
    args: tuple[Any, ...] = field(default=())

    def __post_init__(self) -> None:
        if not self.name or "@" in self.name or len(self.name) > 128:
            raise ScheduleError(f"a schedule name must be 1 to 128 characters without '@', "
                                f"got {self.name!r}")
        if self.interval_s < 1:
            raise ScheduleError(f"schedule {self.name!r}: the interval must be at least one "
                                f"second, got {self.interval_s}")
        if self.first_due_at.tzinfo is None:
            raise ScheduleError(f"schedule {self.name!r}: the first due time has no zone")


@dataclass(frozen=True, slots=True)
class Schedule:
    """A schedule as stored."""

    name: str
    actor_name: str
    queue_name: str
    args: tuple[Any, ...]
    interval_s: int
    next_due_at: datetime
    last_due_at: datetime | None
    enabled: bool


def _schedule(row: Any) -> Schedule:
    return Schedule(name=row.name, actor_name=row.actor_name, queue_name=row.queue_name,
                    args=tuple(row.args or ()), interval_s=row.interval_s,
                    next_due_at=row.next_due_at, last_due_at=row.last_due_at,
                    enabled=row.enabled)


def ensure_schedules(engine: Engine, specs: Iterable[ScheduleSpec]) -> None:
    """Create the schedules of ``specs`` that do not exist; update the job, arguments and
    interval of those that do (never their next due time: a restart does not reset it)."""
    with engine.begin() as connection:
        for spec in specs:
            dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
            values = {"actor_name": spec.actor_name, "queue_name": spec.queue_name,
                      "args": list(spec.args), "interval_s": spec.interval_s}
            statement = dialect.insert(SCHEDULE).values(
                name=spec.name, next_due_at=spec.first_due_at, last_due_at=None, enabled=True,
                **values)
            connection.execute(statement.on_conflict_do_update(index_elements=["name"],
                                                               set_=values))


def list_schedules(engine: Engine) -> list[Schedule]:
    """Every schedule, by name."""
    with engine.connect() as connection:
        return [_schedule(row) for row in
                connection.execute(select(SCHEDULE).order_by(SCHEDULE.c.name)).all()]


def latest_tick(next_due_at: datetime, interval_s: int, now: datetime) -> datetime:
    """The latest tick at or before ``now`` of a schedule due at ``next_due_at`` (which is
    at or before ``now``)."""
    missed = int((now - next_due_at).total_seconds() // interval_s)
    return next_due_at + timedelta(seconds=missed * interval_s)


def tick_key(name: str, tick: datetime) -> str:
    """The unit key of ``name``'s tick at ``tick``."""
    return f"{name}@{tick.strftime(_TICK_FORMAT)}"


def fire_due_schedules(connection: Connection, *, now: datetime) -> list[str]:
    """Fire every enabled schedule due at ``now`` once (module docstring), inside
    ``connection``'s transaction; return the keys of the units created."""
    due = connection.execute(select(SCHEDULE).where(SCHEDULE.c.enabled.is_(True),
                                                    SCHEDULE.c.next_due_at <= now)).all()
    created: list[str] = []
    for row in due:
        schedule = _schedule(row)
        tick = latest_tick(schedule.next_due_at, schedule.interval_s, now)
        moved = connection.execute(
            update(SCHEDULE).where(SCHEDULE.c.name == schedule.name,
                                   SCHEDULE.c.next_due_at == schedule.next_due_at)
            .values(next_due_at=tick + timedelta(seconds=schedule.interval_s),
                    last_due_at=tick))
        if moved.rowcount != 1:
            continue  # another scheduler fired it
        key = tick_key(schedule.name, tick)
        spec = UnitSpec(key=key, actor_name=schedule.actor_name,
                        queue_name=schedule.queue_name, due_at=tick,
                        args=(*schedule.args, tick.isoformat()))
        if insert_units(connection, [spec], now=now):
            created.append(key)
    return created
