"""The dead-letter store: messages that failed for good, and what to do about them.

:class:`jobs.dead_letter_middleware.DeadLetterRecorder` records every message a worker
rejects (its retries spent, a fault that is not transient, its age limit passed, an actor
unknown) with :func:`record_dead_letter`; its unit of work is marked ``failed`` in the same
transaction. People look at them (``loanwatch jobs list|show``, later the API) and either
**retry** one — the same message (same id, arguments and idempotency key) enqueued once
more, its retry count and age reset, its unit ``enqueued`` again — or **discard** it, which
only marks it. A retried message that fails again is recorded on the same row, ``dead``
again.

These are the service functions the CLI and the GraphQL layer call.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

import dramatiq
from sqlalchemy import Connection, Engine, select, update
from sqlalchemy.dialects import postgresql, sqlite

from jobs.errors import DeadLetterNotFound, DeadLetterResolved, JobError
from jobs.messages import IDEMPOTENCY_KEY_OPTION, send_message
from jobs.records import DEAD_LETTER_STATES, DeadLetter
from jobs.runtime import utc_now
from jobs.units import MAX_ERROR_CHARS, UNIT, mark_failed

__all__ = [
    "DEFAULT_PAGE",
    "DeadLetterEntry",
    "DeadLetterView",
    "discard_dead_letter",
    "get_dead_letter",
    "list_dead_letters",
    "record_dead_letter",
    "retry_dead_letter",
]

DEAD = DeadLetter.__table__  # type: ignore[attr-defined]
#: Dead letters listed per page by default.
DEFAULT_PAGE: Final = 50


@dataclass(frozen=True, slots=True)
class DeadLetterEntry:
    """A message that failed for good, as the recorder sees it."""

    message_id: str
    queue_name: str
    actor_name: str
    args: tuple[Any, ...]
    kwargs: dict[str, Any]
    idempotency_key: str | None
    error_class: str
    error_message: str
    attempts: int
    enqueued_at: datetime
    failed_at: datetime


@dataclass(frozen=True, slots=True)
class DeadLetterView:
    """A dead letter as stored, with what was done about it."""

    id: int
    message_id: str
    queue_name: str
    actor_name: str
    args: tuple[Any, ...]
    kwargs: dict[str, Any]
    idempotency_key: str | None
    error_class: str
    error_message: str
    attempts: int
    enqueued_at: datetime
    failed_at: datetime
    state: str
    resolved_at: datetime | None
    resolved_by: str | None


def _view(row: Any) -> DeadLetterView:
    values = {name: getattr(row, name)
              for name in DeadLetterView.__slots__}  # type: ignore[attr-defined]
    values["args"] = tuple(values["args"] or ())
    values["kwargs"] = dict(values["kwargs"] or {})
    return DeadLetterView(**values)


def record_dead_letter(engine: Engine, entry: DeadLetterEntry) -> None:
    """Keep ``entry`` (the same message again updates its row, ``dead`` again) and mark
    its unit of work ``failed``, in one transaction."""
    error = entry.error_message[:MAX_ERROR_CHARS]
    values = {"queue_name": entry.queue_name, "actor_name": entry.actor_name,
              "args": list(entry.args), "kwargs": dict(entry.kwargs),
              "idempotency_key": entry.idempotency_key, "error_class": entry.error_class[:255],
              "error_message": error, "attempts": entry.attempts,
              "enqueued_at": entry.enqueued_at, "failed_at": entry.failed_at, "state": "dead",
              "resolved_at": None, "resolved_by": None}
    with engine.begin() as connection:
        dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
        connection.execute(dialect.insert(DEAD).values(message_id=entry.message_id, **values)
                           .on_conflict_do_update(index_elements=["message_id"], set_=values))
        if entry.idempotency_key:
            mark_failed(connection, entry.idempotency_key,
                        f"{entry.error_class}: {error}", now=entry.failed_at)


def list_dead_letters(engine: Engine, *, state: str | None = "dead", actor: str | None = None,
                      after_id: int | None = None, limit: int = DEFAULT_PAGE
                      ) -> list[DeadLetterView]:
    """Dead letters, newest first: those in ``state`` (``None``: all), of ``actor``, with
    an id below ``after_id`` (the next page), at most ``limit``.

    Raises:
        ValueError: an unknown state, or ``limit`` < 1.
    """
    if state is not None and state not in DEAD_LETTER_STATES:
        raise ValueError(f"unknown dead-letter state {state!r}; one of "
                         f"{', '.join(DEAD_LETTER_STATES)}")
    if limit < 1:
        raise ValueError(f"limit must be at least 1, got {limit}")
    query = select(DEAD).order_by(DEAD.c.id.desc()).limit(limit)
    if state is not None:
        query = query.where(DEAD.c.state == state)
    if actor is not None:
        query = query.where(DEAD.c.actor_name == actor)
    if after_id is not None:
        query = query.where(DEAD.c.id < after_id)
    with engine.connect() as connection:
        return [_view(row) for row in connection.execute(query).all()]


def get_dead_letter(engine: Engine, dead_letter_id: int) -> DeadLetterView:
    """The dead letter ``dead_letter_id``.

    Raises:
        DeadLetterNotFound: none has that id.
    """
    with engine.connect() as connection:
        row = connection.execute(select(DEAD).where(DEAD.c.id == dead_letter_id)).first()
    if row is None:
        raise DeadLetterNotFound(dead_letter_id)
    return _view(row)


def _resolve(engine: Engine, dead_letter_id: int, state: str, by: str, now: datetime,
             before_commit: Callable[[Connection, DeadLetterView], None] | None = None
             ) -> DeadLetterView:
    with engine.begin() as connection:
        row = connection.execute(select(DEAD).where(DEAD.c.id == dead_letter_id)).first()
        if row is None:
            raise DeadLetterNotFound(dead_letter_id)
        moved = connection.execute(update(DEAD).where(DEAD.c.id == dead_letter_id,
                                                      DEAD.c.state == "dead")
                                   .values(state=state, resolved_at=now, resolved_by=by))
        if moved.rowcount != 1:
            raise DeadLetterResolved(
                f"dead letter {dead_letter_id} was {row.state} already"
                + (f" by {row.resolved_by}" if row.resolved_by else "")
                + (f" at {row.resolved_at:%Y-%m-%d %H:%M:%S} UTC" if row.resolved_at else ""))
        if before_commit is not None:
            before_commit(connection, _view(row))
        row = connection.execute(select(DEAD).where(DEAD.c.id == dead_letter_id)).one()
    return _view(row)


def retry_dead_letter(engine: Engine, broker: dramatiq.Broker | None, dead_letter_id: int, *,
                      by: str, clock: Callable[[], datetime] = utc_now) -> DeadLetterView:
    """Enqueue the dead letter's message once more (module docstring) and mark it
    ``retried`` by ``by``; its unit becomes ``enqueued``. The marks commit only once the
    message is on the broker.

    Without a broker (``broker`` is ``None``: jobs run in the process that serves the
    API), the unit becomes ``pending`` instead and that process's scheduler enqueues it.

    Raises:
        DeadLetterNotFound: none has that id.
        DeadLetterResolved: it was retried or discarded already.
        JobError: no broker, and the message has no unit of work to make pending.
        BackendUnavailable, redis.RedisError: the broker failed; nothing changed.
    """
    now = clock()

    def requeue(connection: Connection, letter: DeadLetterView) -> None:
        if letter.idempotency_key:
            connection.execute(
                update(UNIT).where(UNIT.c.key == letter.idempotency_key, UNIT.c.state != "done")
                .values(state="pending" if broker is None else "enqueued", due_at=now,
                        enqueued_at=None if broker is None else now, updated_at=now,
                        finished_at=None))
        elif broker is None:
            raise JobError(f"dead letter {letter.id} has no unit of work: retrying it needs "
                           "a broker", suggestion="set LOANWATCH_BROKER_URL")
        if broker is None:
            return
        options = ({IDEMPOTENCY_KEY_OPTION: letter.idempotency_key}
                   if letter.idempotency_key else {})
        send_message(broker, dramatiq.Message(
            queue_name=letter.queue_name, actor_name=letter.actor_name, args=letter.args,
            kwargs=letter.kwargs, options=options, message_id=letter.message_id,
            message_timestamp=int(time.time() * 1000)))

    return _resolve(engine, dead_letter_id, "retried", by, now, requeue)


def discard_dead_letter(engine: Engine, dead_letter_id: int, *, by: str,
                        clock: Callable[[], datetime] = utc_now) -> DeadLetterView:
    """Mark the dead letter ``discarded`` by ``by``; its unit stays ``failed``.

    Raises:
        DeadLetterNotFound: none has that id.
        DeadLetterResolved: it was retried or discarded already.
    """
    return _resolve(engine, dead_letter_id, "discarded", by, clock())


def millis_to_datetime(millis: int) -> datetime:
    """A Dramatiq timestamp (milliseconds since the epoch) as an aware UTC datetime."""
    return datetime.fromtimestamp(millis / 1000, UTC)
