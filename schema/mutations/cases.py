"""``transitionCase``: a collector holds a collection case (a dispute, a hardship review, a
proposal under consideration) or resumes it, saying why
(:func:`risk.collections.cases.transition_case`). The move is recorded with the caller as
its actor, goes to the audit trail, and is announced to the ``caseChanges`` subscribers
once committed. The daily run's moves (opened, moved, cured, closed) are not a person's.
"""

from __future__ import annotations

import asyncio
from datetime import date
from enum import Enum
from typing import Annotated, Final

import strawberry

from auth.principal import Right
from risk.collections.cases import (
    TRANSITIONS,
    USER_EVENTS,
    CaseEventKind,
    CaseState,
    transition_case,
)
from risk.collections.errors import CaseNotFound, CaseTransitionRefused, CollectionsError
from schema.context import Info
from schema.errors import SchemaError
from schema.mutations.audit_sinks import audit_sink
from schema.mutations.caller import actor_of
from schema.mutations.errors import InvalidInput, NotFound, UserErrorCode
from schema.mutations.post_loan_errors import CaseMoveNotAllowed
from schema.permissions import needs
from schema.post_loan.collections import case_key
from schema.types.collections import CollectionCase, case_from_view

__all__ = ["CaseMove", "CaseMutations"]

_FIELD: Final = ["input", "caseId"]


@strawberry.enum(description="What a person may do to a collection case.")
class CaseMove(Enum):
    HOLD = strawberry.enum_value(CaseEventKind.HELD.value, description="Pause the collection "
                                 "work (open -> on_hold).")
    RESUME = strawberry.enum_value(CaseEventKind.RESUMED.value, description="Take it up "
                                   "again (on_hold -> open).")
    CLOSE = strawberry.enum_value(CaseEventKind.CLOSED.value, description="End it: no more "
                                  "work is needed (open or on_hold -> closed), say a case a "
                                  "network alert opened on a loan that is not behind.")


@strawberry.input(description="Hold or resume a collection case, saying why.")
class TransitionCaseInput:
    case_id: strawberry.ID = strawberry.field(
        description="The case: its global id (`CollectionCase:L1@2025-03-01`) or case id.")
    move: CaseMove = strawberry.field(description="What to do.")
    reason: str = strawberry.field(description="Why (required; kept in the case's history "
                                   "and the audit trail).")
    effective_on: date | None = strawberry.field(
        default=None, description="The day it takes effect (today, UTC, when omitted).")


@strawberry.type(description="The case moved.")
class CaseTransitioned:
    case: CollectionCase = strawberry.field(description="The case as the move left it, with "
                                            "its history.")


TransitionCaseResult = Annotated[
    CaseTransitioned | CaseMoveNotAllowed | NotFound | InvalidInput,
    strawberry.union("TransitionCaseResult", description="The case moved, or why it did not.")]


def _allowed(state: str) -> list[str]:
    chosen = CaseState(state)
    return sorted(event.value for event in USER_EVENTS if chosen in TRANSITIONS[event][0])


def _move(info: Info, key: str, move: CaseMove, reason: str,
          on: date | None) -> TransitionCaseResult:
    engine = info.context.records
    if engine is None:
        raise SchemaError("this server has no SQL database to record case moves in")
    principal = info.context.principal
    try:
        moved = transition_case(
            engine, key, CaseEventKind(move.value), actor=actor_of(info), reason=reason,
            audit=audit_sink(info.context),
            client_id="api" if principal is None else principal.client_id, on=on,
            feed=info.context.case_feed)
    except CaseNotFound as exc:
        return NotFound(code=UserErrorCode.NOT_FOUND, message=str(exc), field=_FIELD)
    except CaseTransitionRefused as exc:
        return CaseMoveNotAllowed(code=UserErrorCode.INVALID_TRANSITION, message=str(exc),
                                  field=["input", "move"], state=exc.state,
                                  allowed=_allowed(exc.state))
    except CollectionsError as exc:
        return InvalidInput(code=UserErrorCode.INVALID_VALUE, message=str(exc),
                            field=["input", "reason"] if not reason.strip() else None)
    return CaseTransitioned(case=case_from_view(moved))


@strawberry.type
class CaseMutations:
    @strawberry.mutation(description="Hold or resume a collection case, with a reason.",
                         metadata=needs(Right.WORK_COLLECTIONS))
    async def transition_case(
        self, info: Info,
        input_: Annotated[TransitionCaseInput, strawberry.argument(name="input")],
    ) -> TransitionCaseResult:
        try:
            key = case_key(str(input_.case_id))
        except SchemaError as exc:
            return NotFound(code=UserErrorCode.NOT_FOUND, message=str(exc), field=_FIELD)
        return await asyncio.to_thread(_move, info, key, input_.move, input_.reason,
                                       input_.effective_on)
