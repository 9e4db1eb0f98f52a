"""``recordPromise``: a collector records a borrower's promise to pay on a collection case
(WORK_COLLECTIONS). Recorded once per case and date: sent again with the same amount it
answers the first promise (``replayed``); the daily strategy step follows it up."""

from __future__ import annotations

import asyncio
from datetime import date
from decimal import Decimal
from typing import Annotated, Final

import strawberry

from auth.principal import Right
from risk.collections.errors import CaseNotFound, PromiseRefused
from risk.collections.promises import record_promise
from schema.context import Info
from schema.errors import SchemaError
from schema.mutations.audit_sinks import RequestSink
from schema.mutations.caller import REPLAYED, actor_of
from schema.mutations.errors import InvalidInput, NotFound, UserErrorCode
from schema.permissions import needs
from schema.types.collection_strategies import PromiseToPay, promise_from_view

__all__ = ["PromiseMutations"]

#: The service's field names as the input spells them.
_FIELDS: Final = {"amount": "amount", "promised_for": "promisedFor", "channel": "channel",
                  "case": "caseId"}


@strawberry.input(description="A borrower's promise to pay on a collection case.")
class RecordPromiseInput:
    case_id: strawberry.ID = strawberry.field(description="The case (`LOAN@OPENED_ON`).")
    amount: Decimal = strawberry.field(description="The amount promised, in the loan's "
                                       "currency (\"500.00\").")
    promised_for: date = strawberry.field(description="The day it will be paid by (at most "
                                          "90 days after `madeOn`).")
    channel: str = strawberry.field(default="call", description="How it was made: call, "
                                    "sms, email, chat, visit, letter, branch.")
    made_on: date | None = strawberry.field(default=None, description="The day it was made "
                                            "[default: today].")
    note: str | None = strawberry.field(default=None, description="Anything to keep with it.")


@strawberry.type(description="The promise as recorded (or as first recorded).")
class PromiseRecorded:
    promise: PromiseToPay = strawberry.field(description="The stored promise.")
    replayed: bool = strawberry.field(description=REPLAYED)


RecordPromiseResult = Annotated[
    PromiseRecorded | InvalidInput | NotFound,
    strawberry.union("RecordPromiseResult",
                     description="The promise recorded, or why it was not.")]


@strawberry.type
class PromiseMutations:
    @strawberry.mutation(description="Record a borrower's promise to pay on a collection "
                         "case; kept or broken on its date from the repayments.",
                         metadata=needs(Right.WORK_COLLECTIONS))
    async def record_promise(
        self, info: Info,
        input_: Annotated[RecordPromiseInput, strawberry.argument(name="input")],
    ) -> RecordPromiseResult:
        engine = info.context.records
        if engine is None:
            raise SchemaError("this server has no SQL database to record writes in")
        try:
            recorded = await asyncio.to_thread(
                record_promise, engine, str(input_.case_id), amount=input_.amount,
                promised_for=input_.promised_for, channel=input_.channel,
                actor=actor_of(info), audit=RequestSink(info), made_on=input_.made_on,
                note=input_.note, client_id="api")
        except CaseNotFound as exc:
            return NotFound(code=UserErrorCode.NOT_FOUND, message=str(exc),
                            field=["input", "caseId"])
        except PromiseRefused as exc:
            return InvalidInput(code=UserErrorCode.INVALID_VALUE, message=str(exc),
                                field=["input", _FIELDS[exc.field]] if exc.field in _FIELDS
                                else None)
        return PromiseRecorded(promise=promise_from_view(recorded.promise),
                               replayed=recorded.replayed)
