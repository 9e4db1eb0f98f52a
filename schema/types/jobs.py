"""The job machinery as the API shows it: units of work with their state, the periodic
schedules, and the dead letters (messages that failed for good) people retry or discard.

Pages here are keyed (a cursor holds the last unit key or dead-letter number seen), not
offsets: units and dead letters move while someone pages through them, and a keyed page
shifts nothing off the next one.
"""

from __future__ import annotations

import base64
import binascii
from datetime import datetime
from typing import Final

import strawberry
from strawberry.relay import PageInfo
from strawberry.scalars import JSON

from jobs.dead_letters import DeadLetterView
from jobs.schedules import Schedule
from jobs.units import Unit
from schema.errors import InvalidArgument

__all__ = ["DeadLetter", "DeadLetterConnection", "JobSchedule", "JobUnit", "JobUnitConnection",
           "JobUnitCount", "dead_letter", "decode_key_cursor", "job_schedule", "job_unit"]

_KEY_PREFIX: Final = "key:"
_NUMBER_PREFIX: Final = "number:"


def _encode(prefix: str, value: str) -> str:
    return base64.urlsafe_b64encode(f"{prefix}{value}".encode()).decode()


def decode_key_cursor(cursor: str, *, numbered: bool) -> str:
    """The unit key (or, ``numbered``, the dead-letter number) a cursor holds.

    Raises:
        InvalidArgument: ``cursor`` is not a cursor of that connection.
    """
    prefix = _NUMBER_PREFIX if numbered else _KEY_PREFIX
    try:
        text = base64.urlsafe_b64decode(cursor.encode()).decode()
    except (binascii.Error, UnicodeError, ValueError):
        text = ""
    value = text.removeprefix(prefix)
    if not text.startswith(prefix) or not value or (numbered and not value.isdigit()):
        raise InvalidArgument(f"after: {cursor!r} is not a cursor of this connection",
                              suggestion="pass an endCursor from a previous page")
    return value


@strawberry.type(description="A unit of work: one job's effect, keyed for idempotency, "
                 "marked done in the transaction of its effect.")
class JobUnit:
    key: str = strawberry.field(description="Its idempotency key (`NAME@TICK` for a "
                                "schedule's tick).")
    actor: str = strawberry.field(description="The job that runs it.")
    queue: str = strawberry.field(description="The queue its message goes to.")
    args: JSON = strawberry.field(description="Its arguments after the key (JSON values).")
    due_at: datetime = strawberry.field(description="When it is due.")
    state: str = strawberry.field(description="pending, enqueued, done or failed "
                                  "(dead-lettered).")
    attempts: int = strawberry.field(description="Attempts made so far.")
    last_error: str | None = strawberry.field(description="The last attempt's error.")
    created_at: datetime = strawberry.field(description="When it was created.")
    updated_at: datetime = strawberry.field(description="When it last changed.")
    enqueued_at: datetime | None = strawberry.field(description="When its message was last "
                                                    "sent.")
    finished_at: datetime | None = strawberry.field(description="When it was done, or failed "
                                                    "for good.")


def job_unit(unit: Unit) -> JobUnit:
    return JobUnit(key=unit.key, actor=unit.actor_name, queue=unit.queue_name,
                   args=list(unit.args), due_at=unit.due_at, state=unit.state,
                   attempts=unit.attempts, last_error=unit.last_error,
                   created_at=unit.created_at, updated_at=unit.updated_at,
                   enqueued_at=unit.enqueued_at, finished_at=unit.finished_at)


@strawberry.type(description="How many units are in one state.")
class JobUnitCount:
    state: str = strawberry.field(description="pending, enqueued, done or failed.")
    count: int = strawberry.field(description="How many.")


@strawberry.type(description="One unit of a page, with its cursor.")
class JobUnitEdge:
    cursor: str = strawberry.field(description="Pass as `after` to read the units after it.")
    node: JobUnit = strawberry.field(description="The unit.")


@strawberry.type(description="A page of units of work, by key.")
class JobUnitConnection:
    edges: list[JobUnitEdge] = strawberry.field(description="The page's units.")
    page_info: PageInfo = strawberry.field(description="Where the page lies.")

    @classmethod
    def keyed(cls, units: list[Unit], size: int, *, after: bool) -> JobUnitConnection:
        """A page of ``units`` (the page and at most one more)."""
        edges = [JobUnitEdge(cursor=_encode(_KEY_PREFIX, u.key), node=job_unit(u))
                 for u in units[:size]]
        return cls(edges=edges, page_info=_page_info([e.cursor for e in edges],
                                                     more=len(units) > size, after=after))


def _page_info(cursors: list[str], *, more: bool, after: bool) -> PageInfo:
    return PageInfo(has_next_page=more, has_previous_page=after,
                    start_cursor=cursors[0] if cursors else None,
                    end_cursor=cursors[-1] if cursors else None)


@strawberry.type(description="A periodic schedule: every `intervalSeconds` one unit of "
                 "work keyed by its tick (a tick missed during an outage runs once).")
class JobSchedule:
    name: str = strawberry.field(description="The schedule's name.")
    actor: str = strawberry.field(description="The job it runs.")
    queue: str = strawberry.field(description="The queue its messages go to.")
    args: JSON = strawberry.field(description="Its arguments (the tick is added after them).")
    interval_seconds: int = strawberry.field(description="Its period in seconds.")
    next_due_at: datetime = strawberry.field(description="Its next tick.")
    last_due_at: datetime | None = strawberry.field(description="The last tick it fired.")
    enabled: bool = strawberry.field(description="Whether it fires.")


def job_schedule(schedule: Schedule) -> JobSchedule:
    return JobSchedule(name=schedule.name, actor=schedule.actor_name,
                       queue=schedule.queue_name, args=list(schedule.args),
                       interval_seconds=schedule.interval_s,
                       next_due_at=schedule.next_due_at, last_due_at=schedule.last_due_at,
                       enabled=schedule.enabled)


@strawberry.type(description="A message that failed for good, with its error, until someone "
                 "retries it (`retryDeadLetter`) or discards it (`discardDeadLetter`).")
class DeadLetter:
    number: int = strawberry.field(description="Its number, as `loanwatch jobs list` shows "
                                   "it (the mutations take it).")
    message_id: str = strawberry.field(description="The message's id (kept on a retry).")
    actor: str = strawberry.field(description="The job it was for.")
    queue: str = strawberry.field(description="Its queue.")
    args: JSON = strawberry.field(description="Its arguments (JSON values).")
    idempotency_key: str | None = strawberry.field(description="Its unit of work's key.")
    error_class: str = strawberry.field(description="The error's class.")
    error_message: str = strawberry.field(description="The error, in words.")
    attempts: int = strawberry.field(description="Attempts made.")
    enqueued_at: datetime = strawberry.field(description="When it was first enqueued.")
    failed_at: datetime = strawberry.field(description="When it failed for good.")
    state: str = strawberry.field(description="dead, retried or discarded.")
    resolved_at: datetime | None = strawberry.field(description="When it was retried or "
                                                    "discarded.")
    resolved_by: str | None = strawberry.field(description="Who retried or discarded it.")


def dead_letter(view: DeadLetterView) -> DeadLetter:
    return DeadLetter(number=view.id, message_id=view.message_id, actor=view.actor_name,
                      queue=view.queue_name, args=list(view.args),
                      idempotency_key=view.idempotency_key, error_class=view.error_class,
                      error_message=view.error_message, attempts=view.attempts,
                      enqueued_at=view.enqueued_at, failed_at=view.failed_at,
                      state=view.state, resolved_at=view.resolved_at,
                      resolved_by=view.resolved_by)


@strawberry.type(description="One dead letter of a page, with its cursor.")
class DeadLetterEdge:
    cursor: str = strawberry.field(description="Pass as `after` to read the older ones.")
    node: DeadLetter = strawberry.field(description="The dead letter.")


@strawberry.type(description="A page of dead letters, newest first.")
class DeadLetterConnection:
    edges: list[DeadLetterEdge] = strawberry.field(description="The page's dead letters.")
    page_info: PageInfo = strawberry.field(description="Where the page lies.")

    @classmethod
    def keyed(cls, views: list[DeadLetterView], size: int, *,
              after: bool) -> DeadLetterConnection:
        """A page of ``views`` (the page and at most one more)."""
        edges = [DeadLetterEdge(cursor=_encode(_NUMBER_PREFIX, str(v.id)),
                                node=dead_letter(v)) for v in views[:size]]
        return cls(edges=edges, page_info=_page_info([e.cursor for e in edges],
                                                     more=len(views) > size, after=after))
