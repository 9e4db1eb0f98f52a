"""The reads of the job machinery, for the people who run it (the right ``manage-jobs``):
units of work and their counts, the periodic schedules, and the dead letters."""

from __future__ import annotations

import asyncio
from typing import Final

import strawberry

from auth.principal import Right
from jobs.dead_letters import list_dead_letters
from jobs.records import DEAD_LETTER_STATES, UNIT_STATES
from jobs.schedules import list_schedules
from jobs.unit_pages import list_units
from jobs.units import count_units, get_unit
from schema.arguments import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE
from schema.context import Info
from schema.errors import InvalidArgument
from schema.permissions import needs
from schema.types.jobs import (
    DeadLetterConnection,
    JobSchedule,
    JobUnit,
    JobUnitConnection,
    JobUnitCount,
    decode_key_cursor,
    job_schedule,
    job_unit,
)

__all__ = ["JobQueries"]

_MANAGE: Final = needs(Right.MANAGE_JOBS)


def _first(first: int) -> int:
    if not 1 <= first <= MAX_PAGE_SIZE:
        raise InvalidArgument(f"first must be between 1 and {MAX_PAGE_SIZE}, got {first}")
    return first


def _state(state: str | None, known: tuple[str, ...]) -> None:
    if state is not None and state not in known:
        raise InvalidArgument(f"state: unknown state {state!r}; one of {', '.join(known)}")


@strawberry.type(description="The reads of the job machinery.")
class JobQueries:
    @strawberry.field(description="How many units of work are in each state (pending, "
                      "enqueued, done, failed), of those whose key starts with `prefix`.",
                      metadata=_MANAGE)
    async def job_unit_counts(self, info: Info, prefix: str = "") -> list[JobUnitCount]:
        records = info.context.records
        counts = {} if records is None else await asyncio.to_thread(
            count_units, records, prefix=prefix)
        return [JobUnitCount(state=state, count=counts.get(state, 0)) for state in UNIT_STATES]

    @strawberry.field(description=f"Units of work by key, of `state` and whose key starts "
                      f"with `prefix` when given. `first` is at most {MAX_PAGE_SIZE}.",
                      metadata=_MANAGE)
    async def job_units(self, info: Info, state: str | None = None, prefix: str = "",
                        first: int = DEFAULT_PAGE_SIZE, after: str | None = None
                        ) -> JobUnitConnection:
        size = _first(first)
        _state(state, UNIT_STATES)
        since = None if after is None else decode_key_cursor(after, numbered=False)
        records = info.context.records
        units = [] if records is None else await asyncio.to_thread(
            list_units, records, state=state, prefix=prefix, after_key=since, limit=size + 1)
        return JobUnitConnection.keyed(units, size, after=since is not None)

    @strawberry.field(description="The unit of work `key`; null when there is none.",
                      metadata=_MANAGE)
    async def job_unit(self, info: Info, key: str) -> JobUnit | None:
        records = info.context.records
        unit = None if records is None else await asyncio.to_thread(get_unit, records, key)
        return None if unit is None else job_unit(unit)

    @strawberry.field(description="The periodic schedules, by name, with their next tick.",
                      metadata=_MANAGE)
    async def job_schedules(self, info: Info) -> list[JobSchedule]:
        records = info.context.records
        rows = [] if records is None else await asyncio.to_thread(list_schedules, records)
        return [job_schedule(row) for row in rows]

    @strawberry.field(description=f"Dead letters (messages that failed for good), newest "
                      f"first: of `state` (dead unless told; `all` for every state) and "
                      f"`actor` when given. `first` is at most {MAX_PAGE_SIZE}.",
                      metadata=_MANAGE)
    async def dead_letters(self, info: Info, state: str = "dead", actor: str | None = None,
                           first: int = DEFAULT_PAGE_SIZE, after: str | None = None
                           ) -> DeadLetterConnection:
        size = _first(first)
        chosen = None if state == "all" else state
        _state(chosen, DEAD_LETTER_STATES)
        before = None if after is None else int(decode_key_cursor(after, numbered=True))
        records = info.context.records
        views = [] if records is None else await asyncio.to_thread(
            list_dead_letters, records, state=chosen, actor=actor, after_id=before,
            limit=size + 1)
        return DeadLetterConnection.keyed(views, size, after=before is not None)
