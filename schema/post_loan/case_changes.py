"""``caseChanges``: collection-case changes as they happen, over ``graphql-transport-ws``.

It hears the case feed (:mod:`risk.collections.feed`: in-process, or through Redis pub/sub
across workers), fed by the people's moves (``transitionCase``) and the daily collections
run, each after its commit, and sends each change the caller asked for:

* the caller needs the right to read the portfolio (declared on the field, checked before
  the subscription starts); the case's fields are then served under the usual rules (the
  borrower's personal data masked unless the caller may read it);
* the stream ends when the caller's access token expires;
* the arguments narrow it down (events, states, buckets, segment, loans).

Each change carries the case as it is when the change is sent (read from the records).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from dataclasses import dataclass
from datetime import datetime
from typing import Final

import strawberry

from risk.collections.cases import CaseEventKind, CaseState, get_case
from risk.collections.errors import CaseNotFound
from risk.collections.feed import CaseChange
from schema.context import Info
from schema.errors import InvalidArgument, SchemaError
from schema.feed_watch import until_expiry
from schema.types.collections import CollectionCase, case_from_view

__all__ = ["CaseChangeEvent", "CaseWatch", "case_changes"]

_EVENTS: Final = frozenset(event.value for event in CaseEventKind)
_STATES: Final = frozenset(state.value for state in CaseState)


@strawberry.type(description="Something happened to a collection case.")
class CaseChangeEvent:
    event: str = strawberry.field(description="opened, moved, held, resumed, cured, "
                                  "written_off or closed.")
    from_state: str | None = strawberry.field(description="The state it left (null: opened).")
    actor: str = strawberry.field(description="`system` (the daily run) or a user's login.")
    at: datetime = strawberry.field(description="When it happened.")
    case: CollectionCase = strawberry.field(description="The case as it is now.")


def _checked(name: str, values: list[str] | None,
             allowed: frozenset[str] | None) -> frozenset[str] | None:
    if values is None:
        return None
    unknown = sorted(set(values) - allowed) if allowed is not None else []
    if unknown:
        raise InvalidArgument(f"{name}: unknown value(s) {', '.join(unknown)}; one of "
                              f"{', '.join(sorted(allowed or ()))}")
    return frozenset(values)


@dataclass(frozen=True, slots=True)
class CaseWatch:
    """What a subscriber asked for (``None``: anything)."""

    events: frozenset[str] | None = None
    states: frozenset[str] | None = None
    buckets: frozenset[str] | None = None
    segment: str | None = None
    loan_ids: frozenset[str] | None = None

    @classmethod
    def of(cls, *, events: list[str] | None, states: list[str] | None,
           buckets: list[str] | None, segment: str | None,
           loan_ids: list[strawberry.ID] | None) -> CaseWatch:
        """Raises ``InvalidArgument``: an unknown event or state."""
        return cls(events=_checked("events", events, _EVENTS),
                   states=_checked("states", states, _STATES),
                   buckets=_checked("buckets", buckets, None), segment=segment,
                   loan_ids=None if loan_ids is None else frozenset(map(str, loan_ids)))

    def wants(self, change: CaseChange) -> bool:
        return ((self.events is None or change.event in self.events)
                and (self.states is None or change.state in self.states)
                and (self.buckets is None or change.bucket in self.buckets)
                and (self.segment is None or change.segment == self.segment)
                and (self.loan_ids is None or change.loan_id in self.loan_ids))


async def case_changes(info: Info, watch: CaseWatch) -> AsyncGenerator[CaseChangeEvent, None]:
    """The changes ``watch`` selects, from now until the caller's token expires."""
    feed = info.context.case_feed
    engine = info.context.records
    if feed is None or engine is None:
        raise SchemaError("this server announces no collection-case changes")
    principal = info.context.principal
    expires_at = None if principal is None else principal.expires_at
    async with feed.subscribe() as changes:
        async for change in until_expiry(changes, expires_at):
            if not watch.wants(change):
                continue
            try:
                view = await asyncio.to_thread(get_case, engine, change.case_id)
            except CaseNotFound:
                continue  # announced by another database's writer
            yield CaseChangeEvent(event=change.event, from_state=change.from_state,
                                  actor=change.actor, at=datetime.fromisoformat(change.at),
                                  case=case_from_view(view))
