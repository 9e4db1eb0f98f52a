"""``retryDeadLetter`` and ``discardDeadLetter``: what the people who run the jobs do about
a message that failed for good (:mod:`jobs.dead_letters`).

A retry makes the message's unit of work ``pending`` again, due now: the scheduler (the
in-process one of ``loanwatch serve``, or the one beside ``loanwatch worker``) enqueues it
on its next look, so the API needs no connection to the broker. A dead letter without a
unit of work cannot be retried here (``loanwatch jobs retry`` sends it to the broker
itself). Each is done once (sent again, it answers ``AlreadyDecided``) and goes to the audit
trail.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Annotated, Final

import strawberry

from auth.audit_events import AuditAction, AuditEvent
from auth.principal import Right
from jobs.dead_letters import (
    DeadLetterView,
    discard_dead_letter,
    get_dead_letter,
    retry_dead_letter,
)
from jobs.errors import DeadLetterNotFound, DeadLetterResolved, JobError
from schema.context import Info
from schema.errors import SchemaError
from schema.mutations.audit_sinks import audit_sink
from schema.mutations.caller import actor_of
from schema.mutations.errors import InvalidInput, NotFound, UserErrorCode
from schema.mutations.post_loan_errors import AlreadyDecided
from schema.permissions import needs
from schema.types.jobs import DeadLetter, dead_letter

__all__ = ["JobMutations"]

_FIELD: Final = ["input", "number"]
_MANAGE: Final = needs(Right.MANAGE_JOBS)


@strawberry.input(description="Which dead letter to act on.")
class DeadLetterInput:
    number: int = strawberry.field(description="The dead letter's number (`DeadLetter.number`).")


@strawberry.type(description="The dead letter acted on.")
class DeadLetterResolvedResult:
    dead_letter: DeadLetter = strawberry.field(description="The dead letter as it is now "
                                               "(retried or discarded, by whom, when).")


DeadLetterResult = Annotated[
    DeadLetterResolvedResult | AlreadyDecided | NotFound | InvalidInput,
    strawberry.union("DeadLetterResult",
                     description="The dead letter retried or discarded, or why it was not.")]


def _act(info: Info, operation: str, number: int) -> DeadLetterResult:
    engine = info.context.records
    if engine is None:
        raise SchemaError("this server has no SQL database of jobs")
    by = f"api:{actor_of(info)}"
    try:
        if operation == "retryDeadLetter":
            letter = retry_dead_letter(engine, None, number, by=by)
        else:
            letter = discard_dead_letter(engine, number, by=by)
    except DeadLetterNotFound as exc:
        return NotFound(code=UserErrorCode.NOT_FOUND, message=str(exc), field=_FIELD)
    except DeadLetterResolved as exc:
        now = get_dead_letter(engine, number)
        return AlreadyDecided(code=UserErrorCode.ALREADY_DECIDED, message=str(exc),
                              field=_FIELD, state=now.state, decided_by=now.resolved_by)
    except JobError as exc:
        return InvalidInput(code=UserErrorCode.INVALID_VALUE, message=str(exc), field=_FIELD)
    _audit(info, operation, letter)
    return DeadLetterResolvedResult(dead_letter=dead_letter(letter))


def _audit(info: Info, operation: str, letter: DeadLetterView) -> None:
    principal = info.context.principal
    audit_sink(info.context).record(AuditEvent(
        at=datetime.now(UTC), action=AuditAction.CHANGE,
        client_id="anonymous" if principal is None else principal.client_id,
        user=None if principal is None else principal.user,
        operation=f"mutation {operation}", targets=(f"dead-letter:{letter.id}",),
        source=info.context.source, request_id=info.context.request_id,
        detail={"actor": letter.actor_name, "message_id": letter.message_id,
                "idempotency_key": letter.idempotency_key, "state": letter.state}))


@strawberry.type
class JobMutations:
    @strawberry.mutation(description="Run a dead letter's job again: its unit of work becomes "
                         "pending, due now, and the scheduler enqueues it on its next look.",
                         metadata=_MANAGE)
    async def retry_dead_letter(
        self, info: Info,
        input_: Annotated[DeadLetterInput, strawberry.argument(name="input")],
    ) -> DeadLetterResult:
        return await asyncio.to_thread(_act, info, "retryDeadLetter", input_.number)

    @strawberry.mutation(description="Mark a dead letter discarded: its job is not run again "
                         "(its unit of work stays failed).", metadata=_MANAGE)
    async def discard_dead_letter(
        self, info: Info,
        input_: Annotated[DeadLetterInput, strawberry.argument(name="input")],
    ) -> DeadLetterResult:
        return await asyncio.to_thread(_act, info, "discardDeadLetter", input_.number)
