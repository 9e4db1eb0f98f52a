"""Mutations that record what arrives after disbursement: repayments, a month of
transactions between two accounts, bureau snapshots, external events.

Each input is one row of the matching import file (``docs/import-format.md``) plus the
``eventId`` it is sent under, and is checked and stored by :func:`ingest.recording.record_row`:
the rules of an imported row, once per event id. Once stored, the event starts its flow
(:mod:`jobs.event_submission`, :mod:`risk.flow`): a job that re-scores the parties it
concerns and their neighbourhood, raises or clears alerts, and follows serious ones up.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Final

import strawberry

from auth.principal import Right
from ingest.recording import Recorded, RecordRejected, record_row
from portfolio.money import DEFAULT_CURRENCY
from portfolio.write_receipts import IdempotencyConflict, InvalidEventId
from schema.context import Info
from schema.errors import SchemaError
from schema.global_ids import RecordKind, record_global_id
from schema.mutations.caller import REPLAYED, actor_of, audit_change
from schema.mutations.errors import EventIdConflict, InvalidInput, input_error
from schema.node_lookup import resolve_node
from schema.permissions import needs
from schema.types.assets import ExternalEvent, Transaction
from schema.types.records import BureauSnapshot, Repayment

__all__ = ["RecordMutations"]

_REFUSALS: Final = (RecordRejected, IdempotencyConflict, InvalidEventId)
_EVENT_ID = "The id of this event in the sending system: sending it again with the same " \
            "values answers the first result and writes nothing; with other values it is " \
            "refused (IDEMPOTENCY_CONFLICT)."


def _payload(fields: Mapping[str, Any]) -> dict[str, Any]:
    """The row as a JSON Lines object: absent values left out, dates and decimals as text."""
    row: dict[str, Any] = {}
    for name, value in fields.items():
        if value is None:
            continue
        if isinstance(value, date | Decimal):
            value = str(value)
        row[name] = value
    return row


async def _stored(info: Info, global_id: str) -> Any:
    """The object just recorded, read back as ``node(id:)`` reads it.

    Raises:
        SchemaError: it cannot be read back (a write that did not land: a bug).
    """
    found = await resolve_node(info.context, global_id)
    if found is None:
        raise SchemaError(f"{global_id} was recorded but cannot be read back")
    return found


def default_currency_of(info: Info) -> str:
    return getattr(info.context, "default_currency", DEFAULT_CURRENCY)


async def _record(info: Info, operation: str, entity: str, event_id: str,
                  payload: dict[str, Any], names: dict[str, str],
                  build: Callable[[Recorded], Any]) -> Any:
    engine = info.context.records
    if engine is None:
        raise SchemaError("this server has no SQL database to record writes in")
    try:
        recorded = await asyncio.to_thread(
            record_row, entity, event_id, payload, graph=info.context.graph, engine=engine,
            actor=actor_of(info), default_currency=default_currency_of(info))
    except _REFUSALS as exc:
        return input_error(exc, names)
    target = recorded.values.get("id") or ":".join(
        str(recorded.values[k]) for k in ("source_account", "target_account", "month"))
    audit_change(info, operation, [str(target)], {"event_id": event_id.strip(),
                                                   "replayed": recorded.replayed})
    flow = info.context.event_flow
    if flow is not None:
        # After the record's commit: the event re-scores its neighbourhood in a job. A
        # replay submits again, which enqueues nothing for a flow already submitted.
        await asyncio.to_thread(flow.submit, entity, event_id, recorded.values)
    return build(recorded)


# -- repayments -----------------------------------------------------------------------------

@strawberry.input(description="A repayment received (a row of repayments.csv).")
class RecordRepaymentInput:
    event_id: str = strawberry.field(description=_EVENT_ID)
    id: strawberry.ID = strawberry.field(description="The repayment's external id.")
    loan_id: strawberry.ID = strawberry.field(description="The loan it pays towards; its "
                                              "currency is the repayment's.")
    paid_on: date = strawberry.field(description="The date it was paid, not in the future.")
    amount: Decimal = strawberry.field(description="In the loan's currency, at most its "
                                       "decimals; not negative.")
    channel: str | None = strawberry.field(
        default=None, description="How it was paid (bank_transfer, cash, ...), when known.")


@strawberry.type(description="The repayment was recorded (or had been, under this event id).")
class RepaymentRecorded:
    repayment_id: strawberry.Private[str]
    replayed: bool = strawberry.field(description=REPLAYED)

    @strawberry.field(description="The repayment as stored, as `node(id:)` serves it.")
    async def repayment(self, info: Info) -> Repayment:
        return await _stored(info, record_global_id(RecordKind.REPAYMENT, self.repayment_id))


def _repayment(recorded: Recorded) -> RepaymentRecorded:
    return RepaymentRecorded(repayment_id=str(recorded.values["id"]),
                             replayed=recorded.replayed)


# -- transactions ---------------------------------------------------------------------------

@strawberry.input(description="The transfers of one month from one account to another (a row "
                  "of transactions.csv): it sets that month's total, as an import does.")
class RecordTransactionInput:
    event_id: str = strawberry.field(description=_EVENT_ID)
    source_account: strawberry.ID = strawberry.field(description="The paying account's id.")
    target_account: strawberry.ID = strawberry.field(description="The receiving account's id.")
    month: str = strawberry.field(description="YYYY-MM.")
    amount: Decimal = strawberry.field(description="The month's total; not negative.")
    count: int = strawberry.field(description="How many transfers; at least 1.")
    currency: str | None = strawberry.field(default=None, description="ISO 4217; by default "
                                            "the server's base currency.")


@strawberry.type(description="The month's transfers were recorded.")
class TransactionRecorded:
    key: strawberry.Private[tuple[str, str, str]]
    replayed: bool = strawberry.field(description=REPLAYED)

    @strawberry.field(description="The month's transfers between the two accounts as "
                      "stored, as `node(id:)` serves them.")
    async def transfers(self, info: Info) -> Transaction:
        return await _stored(info, record_global_id(RecordKind.TRANSACTION, *self.key))


def _transaction(recorded: Recorded) -> TransactionRecorded:
    v = recorded.values
    return TransactionRecorded(
        key=(str(v["source_account"]), str(v["target_account"]), str(v["month"])),
        replayed=recorded.replayed)


# -- bureau snapshots -----------------------------------------------------------------------

@strawberry.input(description="A credit-bureau report about a party (a row of bureau.csv).")
class RecordBureauSnapshotInput:
    event_id: str = strawberry.field(description=_EVENT_ID)
    id: strawberry.ID = strawberry.field(description="The snapshot's external id.")
    party_id: strawberry.ID = strawberry.field(description="The person or company reported on.")
    as_of: date = strawberry.field(description="The date of the report.")
    score: int = strawberry.field(description="300 to 900.")
    open_loans: int | None = strawberry.field(default=None, description="Loans open at any lender.")
    total_debt: Decimal | None = strawberry.field(
        default=None, description="Total debt at any lender, in `currency`.")
    overdue_accounts: int | None = strawberry.field(default=None, description="Accounts past due.")
    inquiries_6m: int | None = strawberry.field(
        default=None, description="Credit inquiries in the last six months.")
    currency: str | None = strawberry.field(
        default=None, description="ISO 4217 code of the amounts (the server's base currency when "
                                  "omitted).")
    overdue_90_total: Decimal | None = strawberry.field(
        default=None, description="Debt more than 90 days overdue; at most total_debt.")


@strawberry.type(description="The bureau snapshot was recorded.")
class BureauSnapshotRecorded:
    snapshot_id: strawberry.Private[str]
    replayed: bool = strawberry.field(description=REPLAYED)

    @strawberry.field(description="The snapshot as stored, as `node(id:)` serves it (a "
                      "person's figures masked without the right to read personal data).")
    async def snapshot(self, info: Info) -> BureauSnapshot:
        return await _stored(info, record_global_id(RecordKind.BUREAU_SNAPSHOT,
                                                    self.snapshot_id))


def _bureau(recorded: Recorded) -> BureauSnapshotRecorded:
    return BureauSnapshotRecorded(snapshot_id=str(recorded.values["id"]),
                                  replayed=recorded.replayed)


# -- external events ------------------------------------------------------------------------

@strawberry.input(description="A court case, news item or social-media signal about parties "
                  "(a row of events.jsonl).")
class RecordExternalEventInput:
    event_id: str = strawberry.field(description=_EVENT_ID)
    id: strawberry.ID = strawberry.field(description="The event's external id.")
    kind: str = strawberry.field(description="court_case, news or social.")
    occurred_on: date = strawberry.field(description="The date it happened.")
    title: str = strawberry.field(
        description="The headline (personal data when it names a person).")
    party_ids: list[strawberry.ID] = strawberry.field(
        description="The parties it mentions (at least one, each known).")
    severity: int | None = strawberry.field(default=None, description="1 to 5.")
    source: str | None = strawberry.field(
        default=None, description="Where it was found (a court register, a newspaper...), when "
                                  "known.")


@strawberry.type(description="The external event was recorded.")
class ExternalEventRecorded:
    event_id: strawberry.Private[str]
    replayed: bool = strawberry.field(description=REPLAYED)

    @strawberry.field(description="The event as stored, as `node(id:)` serves it (its "
                      "headline masked without the right to read personal data).")
    async def event(self, info: Info) -> ExternalEvent:
        return await _stored(info, self.event_id)


def _event(recorded: Recorded) -> ExternalEventRecorded:
    return ExternalEventRecorded(event_id=str(recorded.values["id"]),
                                 replayed=recorded.replayed)


RecordRepaymentResult = Annotated[
    RepaymentRecorded | InvalidInput | EventIdConflict,
    strawberry.union("RecordRepaymentResult", description="The repayment recorded, or why not.")]
RecordTransactionResult = Annotated[
    TransactionRecorded | InvalidInput | EventIdConflict,
    strawberry.union("RecordTransactionResult", description="The transfers recorded, or why not.")]
RecordBureauSnapshotResult = Annotated[
    BureauSnapshotRecorded | InvalidInput | EventIdConflict,
    strawberry.union("RecordBureauSnapshotResult",
                     description="The snapshot recorded, or why not.")]
RecordExternalEventResult = Annotated[
    ExternalEventRecorded | InvalidInput | EventIdConflict,
    strawberry.union("RecordExternalEventResult", description="The event recorded, or why not.")]

_REPAYMENT_NAMES: Final = {"loan_id": "loanId", "paid_on": "paidOn"}
_TRANSACTION_NAMES: Final = {"source_account": "sourceAccount",
                             "target_account": "targetAccount"}
_BUREAU_NAMES: Final = {"party_id": "partyId", "as_of": "asOf", "open_loans": "openLoans",
                        "total_debt": "totalDebt", "overdue_accounts": "overdueAccounts",
                        "inquiries_6m": "inquiries6m", "overdue_90_total": "overdue90Total"}
_EVENT_NAMES: Final = {"occurred_on": "occurredOn", "party_ids": "partyIds"}
_INPUT = strawberry.argument(name="input")


@strawberry.type
class RecordMutations:
    @strawberry.mutation(description="Record a repayment received.",
                         metadata=needs(Right.WRITE_RECORDS))
    async def record_repayment(
        self, info: Info, input_: Annotated[RecordRepaymentInput, _INPUT],
    ) -> RecordRepaymentResult:
        i = input_
        return await _record(info, "recordRepayment", "repayments", i.event_id, _payload({
            "id": i.id, "loan_id": i.loan_id, "paid_on": i.paid_on, "amount": i.amount,
            "channel": i.channel}), _REPAYMENT_NAMES, _repayment)  # type: ignore[no-any-return]

    @strawberry.mutation(description="Record a month of transfers between two accounts.",
                         metadata=needs(Right.WRITE_RECORDS))
    async def record_transaction(
        self, info: Info, input_: Annotated[RecordTransactionInput, _INPUT],
    ) -> RecordTransactionResult:
        i = input_
        return await _record(info, "recordTransaction", "transactions", i.event_id, _payload({
            "source_account": i.source_account, "target_account": i.target_account,
            "month": i.month, "amount": i.amount, "count": i.count, "currency": i.currency}),
            _TRANSACTION_NAMES, _transaction)  # type: ignore[no-any-return]

    @strawberry.mutation(description="Record a credit-bureau snapshot of a party.",
                         metadata=needs(Right.WRITE_RECORDS))
    async def record_bureau_snapshot(
        self, info: Info, input_: Annotated[RecordBureauSnapshotInput, _INPUT],
    ) -> RecordBureauSnapshotResult:
        i = input_
        return await _record(info, "recordBureauSnapshot", "bureau", i.event_id, _payload({
            "id": i.id, "party_id": i.party_id, "as_of": i.as_of, "score": i.score,
            "open_loans": i.open_loans, "total_debt": i.total_debt,
            "overdue_accounts": i.overdue_accounts, "inquiries_6m": i.inquiries_6m,
            "currency": i.currency, "overdue_90_total": i.overdue_90_total}),
            _BUREAU_NAMES, _bureau)  # type: ignore[no-any-return]

    @strawberry.mutation(description="Record an external event about parties.",
                         metadata=needs(Right.WRITE_RECORDS))
    async def record_external_event(
        self, info: Info, input_: Annotated[RecordExternalEventInput, _INPUT],
    ) -> RecordExternalEventResult:
        i = input_
        return await _record(info, "recordExternalEvent", "events", i.event_id, _payload({
            "id": i.id, "kind": i.kind, "occurred_on": i.occurred_on, "title": i.title,
            "party_ids": [str(p) for p in i.party_ids], "severity": i.severity,
            "source": i.source}), _EVENT_NAMES, _event)  # type: ignore[no-any-return]
