"""The scheduler: derives from the database what is due and enqueues it.

Each look (:meth:`Scheduler.run_once`), in this order:

1. fires the periodic schedules that are due (:func:`jobs.schedules.fire_due_schedules`):
   one unit per schedule, however many ticks an outage missed;
2. enqueues the units that are ``pending`` and due, oldest first, at most ``batch``: their
   rows are claimed (``enqueued``; on PostgreSQL ``FOR UPDATE SKIP LOCKED``, so several
   schedulers share the work), their messages sent, then the claim committed; when the
   broker fails, the claim rolls back and the units stay ``pending`` for the next look;
3. enqueues again the units ``enqueued`` longer than ``stale_after_s`` ago and still not
   done: their message was lost (a broker wiped, a dead letter never recorded); a unit that
   was only slow gets a second message, which finds it done and does nothing.

Nothing is kept in memory between looks: after any crash or restart the next look finds
the same state in the database. ``loanwatch scheduler`` runs it alone; ``loanwatch
worker`` runs it beside its worker processes unless told ``--no-scheduler``; the
in-process jobs of ``make demo`` run it on a thread.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import dramatiq
from sqlalchemy import Connection, Engine, select, update

from jobs.messages import send_unit
from jobs.runtime import utc_now
from jobs.schedules import fire_due_schedules
from jobs.units import UNIT, Unit, unit_from_row

__all__ = ["Scheduler", "SchedulerReport"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class SchedulerReport:
    """What one look did."""

    fired: int
    enqueued: int
    re_enqueued: int


class Scheduler:
    """Enqueues due work from the database onto ``broker`` (module docstring)."""

    def __init__(self, engine: Engine, broker: dramatiq.Broker, *, batch: int = 1_000,
                 stale_after_s: float = 3_600.0, interval_s: float = 5.0,
                 clock: Callable[[], datetime] = utc_now) -> None:
        if batch < 1:
            raise ValueError(f"batch must be at least 1, got {batch}")
        self.engine = engine
        self.broker = broker
        self.batch = batch
        self.stale_after = timedelta(seconds=stale_after_s)
        self.interval_s = interval_s
        self.clock = clock

    def run_once(self) -> SchedulerReport:
        """One look (module docstring).

        Raises:
            SQLAlchemyError, BackendUnavailable, redis.RedisError: a store failed; nothing
                claimed stays claimed.
        """
        now = self.clock()
        with self.engine.begin() as connection:
            fired = len(fire_due_schedules(connection, now=now))
        enqueued = self._enqueue(UNIT.c.state == "pending", UNIT.c.due_at <= now, now=now)
        stale = self._enqueue(UNIT.c.state == "enqueued",
                              UNIT.c.enqueued_at <= now - self.stale_after, now=now)
        if fired or enqueued or stale:
            logger.info("scheduler: %d schedules fired, %d units enqueued, %d enqueued again",
                        fired, enqueued, stale, extra={"fields": {
                            "fired": fired, "enqueued": enqueued, "re_enqueued": stale}})
        return SchedulerReport(fired=fired, enqueued=enqueued, re_enqueued=stale)

    def _enqueue(self, *conditions: object, now: datetime) -> int:
        total = 0
        while True:
            with self.engine.begin() as connection:
                units = self._claim(connection, conditions, now)
                for unit in units:
                    send_unit(self.broker, unit)
            total += len(units)
            if len(units) < self.batch:
                return total

    def _claim(self, connection: Connection, conditions: tuple[object, ...],
               now: datetime) -> list[Unit]:
        chosen = (select(UNIT.c.key).where(*conditions)  # type: ignore[arg-type]
                  .order_by(UNIT.c.due_at, UNIT.c.key).limit(self.batch)
                  .with_for_update(skip_locked=True))
        rows = connection.execute(
            update(UNIT).where(UNIT.c.key.in_(chosen.scalar_subquery()))
            .values(state="enqueued", enqueued_at=now, updated_at=now)
            .returning(*UNIT.c)).all()
        return sorted((unit_from_row(row) for row in rows), key=lambda u: (u.due_at, u.key))

    def run_forever(self, stop: threading.Event) -> None:
        """Look every ``interval_s`` until ``stop`` is set; a failed look is logged and the
        next one tries again."""
        while not stop.is_set():
            try:
                self.run_once()
            except Exception:
                logger.exception("scheduler: this look failed; trying again in %.1f s",
                                 self.interval_s)
            stop.wait(self.interval_s)
