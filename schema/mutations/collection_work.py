"""What collectors do on their cases besides promises (:mod:`schema.mutations.promises`):
close a task the strategy opened for them (a call, a letter, a visit) with what came of it,
and keep what a borrower said about being contacted. Both need WORK_COLLECTIONS, are done
as the caller's user and go to the audit trail."""

from __future__ import annotations

import asyncio
from typing import Annotated, Final

import strawberry
from sqlalchemy import Engine

from auth.principal import Right
from risk.collections.actions import complete_task
from risk.collections.contact import set_contact_preference
from risk.collections.errors import (
    ActionNotFound,
    ActionRefused,
    CollectionsError,
    ContactPreferenceRefused,
)
from schema.context import Info
from schema.errors import SchemaError
from schema.mutations.audit_sinks import RequestSink
from schema.mutations.caller import actor_of
from schema.mutations.errors import InvalidInput, NotFound, UserErrorCode
from schema.permissions import needs
from schema.types.collection_strategies import CollectionAction, action_from_view

__all__ = ["CollectionWorkMutations"]

#: The service's field names as the input spells them.
_PREFERENCE_FIELDS: Final = {"preferred_channel": "preferredChannel", "refused": "refused",
                             "timezone": "timezone", "party": "partyId"}


@strawberry.input(description="A collector's task done, with what came of it.")
class CompleteCollectionTaskInput:
    action_number: int = strawberry.field(description="The task's number (`caseActions`, "
                                          "`CollectionCase.actions`).")
    outcome: str = strawberry.field(description="What came of it (the call's answer, the "
                                    "visit's finding).")


@strawberry.type(description="The task as closed.")
class CollectionTaskCompleted:
    action: CollectionAction = strawberry.field(description="The task, now done.")


CompleteCollectionTaskResult = Annotated[
    CollectionTaskCompleted | InvalidInput | NotFound,
    strawberry.union("CompleteCollectionTaskResult",
                     description="The task closed, or why it was not.")]


@strawberry.input(description="What a borrower said about being contacted; it replaces what "
                  "they said before.")
class SetContactPreferenceInput:
    party_id: strawberry.ID = strawberry.field(description="The borrower.")
    preferred_channel: str | None = strawberry.field(
        default=None, description="sms, email or chat; null: no preference.")
    refused: list[str] = strawberry.field(default_factory=list,
                                          description="Channels never to use.")
    timezone: str | None = strawberry.field(default=None, description="Their IANA time zone "
                                            "(Asia/Shanghai), for the contact hours.")


@strawberry.type(description="The borrower's contact preferences as stored.")
class ContactPreferenceSet:
    party_id: strawberry.ID = strawberry.field(description="The borrower.")
    preferred_channel: str | None = strawberry.field(description="Their preferred channel.")
    refused: list[str] = strawberry.field(description="Channels never to use.")
    timezone: str | None = strawberry.field(description="Their time zone.")


SetContactPreferenceResult = Annotated[
    ContactPreferenceSet | InvalidInput,
    strawberry.union("SetContactPreferenceResult",
                     description="The preferences stored, or why they were not.")]


def _records(info: Info) -> Engine:
    engine = info.context.records
    if engine is None:
        raise SchemaError("this server has no SQL database to record writes in")
    return engine


@strawberry.type
class CollectionWorkMutations:
    @strawberry.mutation(description="Close an open collector's task (a call, a letter, a "
                         "field visit, a legal referral) with what came of it.",
                         metadata=needs(Right.WORK_COLLECTIONS))
    async def complete_collection_task(
        self, info: Info,
        input_: Annotated[CompleteCollectionTaskInput, strawberry.argument(name="input")],
    ) -> CompleteCollectionTaskResult:
        try:
            done = await asyncio.to_thread(
                complete_task, _records(info), input_.action_number, actor=actor_of(info),
                outcome=input_.outcome, audit=RequestSink(info), client_id="api")
        except ActionNotFound as exc:
            return NotFound(code=UserErrorCode.NOT_FOUND, message=str(exc),
                            field=["input", "actionNumber"])
        except ActionRefused as exc:
            return InvalidInput(code=UserErrorCode.INVALID_TRANSITION, message=str(exc),
                                field=["input", "actionNumber"])
        except CollectionsError as exc:
            return InvalidInput(code=UserErrorCode.INVALID_VALUE, message=str(exc),
                                field=["input", "outcome"])
        return CollectionTaskCompleted(action=action_from_view(done))

    @strawberry.mutation(description="Keep what a borrower said about being contacted: the "
                         "channel they prefer, those they refuse, their time zone. The "
                         "strategy step follows it from its next run.",
                         metadata=needs(Right.WORK_COLLECTIONS))
    async def set_contact_preference(
        self, info: Info,
        input_: Annotated[SetContactPreferenceInput, strawberry.argument(name="input")],
    ) -> SetContactPreferenceResult:
        try:
            stored = await asyncio.to_thread(
                set_contact_preference, _records(info), str(input_.party_id),
                preferred_channel=input_.preferred_channel, refused=input_.refused,
                timezone=input_.timezone, actor=actor_of(info), audit=RequestSink(info),
                client_id="api")
        except ContactPreferenceRefused as exc:
            field = _PREFERENCE_FIELDS.get(exc.field)
            return InvalidInput(code=UserErrorCode.INVALID_VALUE, message=str(exc),
                                field=None if field is None else ["input", field])
        return ContactPreferenceSet(party_id=strawberry.ID(stored.party_id),
                                    preferred_channel=stored.preferred_channel,
                                    refused=list(stored.refused), timezone=stored.timezone)
