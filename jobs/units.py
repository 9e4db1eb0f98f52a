"""Units of work: the idempotency keys of the job machinery, kept in SQL.

A unit is created once (its key is its primary key: adding it again changes nothing),
enqueued by the scheduler when due, and marked done **in the transaction of its effect**
(:func:`unit_transaction`): a message delivered twice finds the unit done and does nothing;
a worker killed before its commit leaves the unit undone and the effect unwritten, and the
message comes back. The states: ``pending`` (waiting to be due), ``enqueued`` (a message is
on its way), ``done``, ``failed`` (dead-lettered; a retry makes it ``enqueued`` again).

Every function takes the engine or an open connection; the clock is an argument.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

from sqlalchemy import Connection, Engine, delete, func, select, update
from sqlalchemy.dialects import postgresql, sqlite

from jobs.errors import UnknownUnit
from jobs.records import JobUnit

__all__ = [
    "MAX_ERROR_CHARS",
    "PURGE_BATCH",
    "Unit",
    "UnitSpec",
    "add_units",
    "count_units",
    "get_unit",
    "has_units",
    "insert_units",
    "mark_failed",
    "purge_done_units",
    "record_failure",
    "unit_transaction",
]

UNIT = JobUnit.__table__  # type: ignore[attr-defined]
#: The longest error text kept with a unit or a dead letter.
MAX_ERROR_CHARS: Final = 4_000
#: A unit in one of these states may run; ``done`` never runs again.
RUNNABLE: Final = ("pending", "enqueued", "failed")
#: Units deleted per transaction by :func:`purge_done_units`.
PURGE_BATCH: Final = 5_000


@dataclass(frozen=True, slots=True)
class UnitSpec:
    """A unit of work to create: its key, the actor and queue that run it, the arguments
    after the key, and when it is due."""

    key: str
    actor_name: str
    queue_name: str
    due_at: datetime
    args: tuple[Any, ...] = field(default=())

    def __post_init__(self) -> None:
        if not self.key or len(self.key) > 255:
            raise ValueError(f"a unit key must be 1 to 255 characters, got {self.key!r}")


@dataclass(frozen=True, slots=True)
class Unit:
    """A unit of work as stored."""

    key: str
    actor_name: str
    queue_name: str
    args: tuple[Any, ...]
    due_at: datetime
    state: str
    attempts: int
    last_error: str | None
    created_at: datetime
    updated_at: datetime
    enqueued_at: datetime | None
    finished_at: datetime | None


def unit_from_row(row: Any) -> Unit:
    values = {name: getattr(row, name) for name in Unit.__slots__}  # type: ignore[attr-defined]
    values["args"] = tuple(values["args"] or ())
    return Unit(**values)


def _insert_ignoring_existing(connection: Connection, rows: list[dict[str, Any]]) -> int:
    dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
    statement = (dialect.insert(UNIT).values(rows).on_conflict_do_nothing(index_elements=["key"])
                 .returning(UNIT.c.key))
    return len(connection.execute(statement).all())


def insert_units(connection: Connection, specs: Iterable[UnitSpec], *, now: datetime) -> int:
    """Create the units of ``specs`` that do not exist yet, inside ``connection``'s
    transaction; return how many were created (existing keys are left as they are)."""
    rows = [{"key": spec.key, "actor_name": spec.actor_name, "queue_name": spec.queue_name,
             "args": list(spec.args), "due_at": spec.due_at, "state": "pending",
             "attempts": 0, "last_error": None, "created_at": now, "updated_at": now,
             "enqueued_at": None, "finished_at": None} for spec in specs]
    if not rows:
        return 0
    created = 0
    for start in range(0, len(rows), 1_000):
        created += _insert_ignoring_existing(connection, rows[start:start + 1_000])
    return created


def add_units(engine: Engine, specs: Iterable[UnitSpec], *, now: datetime) -> int:
    """:func:`insert_units` in a transaction of its own."""
    with engine.begin() as connection:
        return insert_units(connection, specs, now=now)


def get_unit(engine: Engine | Connection, key: str) -> Unit | None:
    """The unit ``key``, or ``None``."""
    query = select(UNIT).where(UNIT.c.key == key)
    if isinstance(engine, Connection):
        row = engine.execute(query).first()
    else:
        with engine.connect() as connection:
            row = connection.execute(query).first()
    return None if row is None else unit_from_row(row)


def has_units(connection: Connection, prefix: str) -> bool:
    """Whether any unit's key starts with ``prefix`` (a day's batches already planned)."""
    return connection.execute(select(UNIT.c.key).where(
        UNIT.c.key.startswith(prefix, autoescape=True)).limit(1)).first() is not None


def count_units(engine: Engine, *, prefix: str = "") -> dict[str, int]:
    """How many units are in each state (those whose key starts with ``prefix``)."""
    query = select(UNIT.c.state, func.count()).group_by(UNIT.c.state)
    if prefix:
        query = query.where(UNIT.c.key.startswith(prefix, autoescape=True))
    with engine.connect() as connection:
        return {state: count for state, count in connection.execute(query).all()}


@contextmanager
def unit_transaction(engine: Engine, key: str, *, now: datetime) -> Iterator[Connection | None]:
    """A transaction in which the unit ``key`` is claimed and, when the block ends without
    an error, marked done: yields the connection to write the unit's effect with, or
    ``None`` when the unit is done already (a second delivery: do nothing).

    The claim is an ``UPDATE`` of the unit's row, so on PostgreSQL a second delivery
    running at the same time waits for the first to commit, then finds the unit done.
    An error in the block rolls back the effect and the claim alike.

    Raises:
        UnknownUnit: no unit has that key.
    """
    with engine.begin() as connection:
        claimed = connection.execute(
            update(UNIT).where(UNIT.c.key == key, UNIT.c.state.in_(RUNNABLE))
            .values(attempts=UNIT.c.attempts + 1, updated_at=now))
        if claimed.rowcount == 0:
            if connection.execute(select(UNIT.c.key).where(UNIT.c.key == key)).first() is None:
                raise UnknownUnit(key)
            yield None
            return
        yield connection
        connection.execute(update(UNIT).where(UNIT.c.key == key).values(
            state="done", finished_at=now, updated_at=now, last_error=None))


def purge_done_units(engine: Engine, *, finished_before: datetime,
                     batch: int = PURGE_BATCH) -> int:
    """Delete the units ``done`` before ``finished_before``, ``batch`` rows a transaction
    (never a long lock on the table); return how many went. Pending, enqueued and failed
    units stay: the first two are work to do, the last are what the dead letters explain.

    A done unit only answers a message delivered again, and a message older than
    ``LOANWATCH_JOB_MAX_AGE_S`` is never run (the settings keep the retention longer): past
    that, the row is history, and what the job did is kept by the job's own records.
    """
    total = 0
    while True:
        with engine.begin() as connection:
            keys = select(UNIT.c.key).where(
                UNIT.c.state == "done", UNIT.c.finished_at < finished_before).limit(batch)
            gone = connection.execute(
                delete(UNIT).where(UNIT.c.key.in_(keys.scalar_subquery()))).rowcount
        total += gone
        if gone < batch:
            return total


def record_failure(engine: Engine, key: str, error: BaseException, *, now: datetime) -> None:
    """Count a failed attempt of ``key`` and keep its error (its transaction was rolled
    back, and the attempt with it)."""
    with engine.begin() as connection:
        connection.execute(update(UNIT).where(UNIT.c.key == key, UNIT.c.state != "done").values(
            attempts=UNIT.c.attempts + 1, last_error=describe_error(error), updated_at=now))


def mark_failed(connection: Connection, key: str, error: str, *, now: datetime) -> None:
    """Mark ``key`` failed for good (its message was dead-lettered), unless it is done."""
    connection.execute(update(UNIT).where(UNIT.c.key == key, UNIT.c.state != "done").values(
        state="failed", last_error=error[:MAX_ERROR_CHARS], finished_at=now, updated_at=now))


def describe_error(error: BaseException) -> str:
    """``Class: message``, cut to :data:`MAX_ERROR_CHARS`."""
    return f"{type(error).__name__}: {error}"[:MAX_ERROR_CHARS]


def mark_enqueued(connection: Connection, keys: Sequence[str], *, now: datetime) -> None:
    """Mark ``keys`` enqueued (not those done meanwhile)."""
    if keys:
        connection.execute(update(UNIT).where(UNIT.c.key.in_(list(keys)),
                                              UNIT.c.state != "done")
                           .values(state="enqueued", enqueued_at=now, updated_at=now))
