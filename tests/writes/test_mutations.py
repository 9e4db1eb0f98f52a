"""The Mutation root: typed results and errors, rights declared, idempotency by event id,
alert moves announced, contact notes masked, on every backend pairing."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import func, select, text
from strawberry.types import ExecutionResult

from auth.principal import SCOPES, Right, Role
from portfolio.alerts import AlertEvent
from risk.alerts.feed import AlertChange, LocalAlertFeed
from risk.alerts.lifecycle import AlertDraft, raise_alerts
from schema import build_context, build_schema
from schema.permissions import declared_right, holds_personal_data
from tests.principals import principal_of
from tests.writes.conftest import Stores

SCHEMA = build_schema(mask_errors=True)
#: Callers with every right to write: one who may read personal data, one who may not.
WRITER = principal_of(Role.ADMIN)
MASKED_WRITER = principal_of(Role.ADMIN, [s for s in SCOPES if s != "personal:read"])

RECORD_REPAYMENT = """
mutation Pay($input: RecordRepaymentInput!) {
  recordRepayment(input: $input) {
    __typename
    ... on RepaymentRecorded { replayed repayment { id sourceId loanId paidOn channel
                               amount { amount currency } } }
    ... on UserError { code message field }
    ... on EventIdConflict { eventId }
  }
}"""
ADD_NOTE = """
mutation Note($input: AddContactNoteInput!) {
  addContactNote(input: $input) {
    __typename
    ... on ContactNoteAdded { replayed note { id partyId loanId channel text author } }
    ... on UserError { code message field }
  }
}"""
MOVE = """
mutation Move($ack: AcknowledgeAlertInput!) {
  acknowledgeAlert(input: $ack) {
    __typename
    ... on AlertChanged { replayed alert { id status } }
    ... on UserError { code message field }
    ... on TransitionNotAllowed { status }
  }
}"""
ASSIGN = """
mutation Assign($input: AssignAlertInput!) {
  assignAlert(input: $input) {
    __typename
    ... on AlertChanged { alert { status assignee } }
    ... on UserError { code field }
  }
}"""
RESOLVE = """
mutation Resolve($input: ResolveAlertInput!) {
  resolveAlert(input: $input) { __typename ... on AlertChanged { alert { status } } }
}"""

PAYMENT = {"eventId": "pay-1", "id": "R1", "loanId": "L1", "paidOn": "2025-02-15",
           "amount": "43000.50", "channel": "bank_transfer"}


def run(stores: Stores, document: str, *, personal: bool = False,
        feed: LocalAlertFeed | None = None, **variables: Any) -> ExecutionResult:
    async def go() -> ExecutionResult:
        return await SCHEMA.execute(document, variable_values=variables, context_value=(
            build_context(stores.graph, records=stores.engine, alert_feed=feed,
                          principal=WRITER if personal else MASKED_WRITER)))

    return asyncio.run(go())


def data(result: ExecutionResult) -> dict[str, Any]:
    assert result.errors is None, result.errors
    assert result.data is not None
    return result.data


def count(stores: Stores, table: str) -> int:
    with stores.engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(text(table)))
                   .scalar_one())


def test_every_mutation_declares_the_right_it_needs() -> None:
    mutation = SCHEMA.get_type_by_name("Mutation")
    subscription = SCHEMA.get_type_by_name("Subscription")
    assert mutation is not None and subscription is not None
    rights = {field.name: declared_right(field.metadata) for field in mutation.fields}  # type: ignore[union-attr]

    assert rights == {
        "record_repayment": Right.WRITE_RECORDS, "record_transaction": Right.WRITE_RECORDS,
        "record_bureau_snapshot": Right.WRITE_RECORDS,
        "record_external_event": Right.WRITE_RECORDS,
        "add_contact_note": Right.WRITE_CONTACT_NOTES,
        "acknowledge_alert": Right.MANAGE_ALERTS, "assign_alert": Right.MANAGE_ALERTS,
        "resolve_alert": Right.MANAGE_ALERTS,
        "decide_review": Right.REVIEW_LOANS, "transition_case": Right.WORK_COLLECTIONS,
        "retry_dead_letter": Right.MANAGE_JOBS, "discard_dead_letter": Right.MANAGE_JOBS,
        "record_promise": Right.WORK_COLLECTIONS,
        "complete_collection_task": Right.WORK_COLLECTIONS,
        "set_contact_preference": Right.WORK_COLLECTIONS,
        "propose_disposal": Right.PROPOSE_DISPOSAL, "approve_disposal": Right.APPROVE_DISPOSAL,
        "reject_disposal": Right.APPROVE_DISPOSAL,
        "retry_notification": Right.WORK_COLLECTIONS,
    }
    assert {f.name: declared_right(f.metadata) for f in subscription.fields} == {  # type: ignore[union-attr]
        "alert_changes": Right.READ_PORTFOLIO, "case_changes": Right.READ_PORTFOLIO}
    note = SCHEMA.get_type_by_name("ContactNote")
    assert [f.name for f in note.fields if holds_personal_data(f.metadata)] == ["text"]  # type: ignore[union-attr]


def test_record_repayment_answers_the_stored_repayment_then_replays_it(stores: Stores) -> None:
    first = data(run(stores, RECORD_REPAYMENT, input=PAYMENT))["recordRepayment"]
    again = data(run(stores, RECORD_REPAYMENT, input=PAYMENT))["recordRepayment"]

    assert first == {"__typename": "RepaymentRecorded", "replayed": False, "repayment": {
        "id": "Repayment:R1", "sourceId": "R1", "loanId": "L1", "paidOn": "2025-02-15",
        "channel": "bank_transfer",
        "amount": {"amount": "43000.50", "currency": "CNY"}}}
    assert again == {**first, "replayed": True}
    assert count(stores, "repayment") == 1


def test_another_payload_under_the_same_event_id_is_a_typed_conflict(stores: Stores) -> None:
    run(stores, RECORD_REPAYMENT, input=PAYMENT)

    answer = data(run(stores, RECORD_REPAYMENT, input={**PAYMENT, "amount": "1.00"}))

    conflict = answer["recordRepayment"]
    assert conflict["__typename"] == "EventIdConflict"
    assert (conflict["code"], conflict["field"], conflict["eventId"]) == \
        ("IDEMPOTENCY_CONFLICT", ["input", "eventId"], "pay-1")
    assert "different payload" in conflict["message"]


@pytest.mark.parametrize(("change", "code", "field"), [
    ({"loanId": "L404"}, "INVALID_REFERENCE", ["input", "loanId"]),
    ({"loanId": "C1"}, "INVALID_REFERENCE", ["input", "loanId"]),
    ({"amount": "0.001"}, "INVALID_VALUE", ["input", "amount"]),
    ({"amount": "-1"}, "INVALID_VALUE", ["input", "amount"]),
    ({"channel": "x" * 40}, "INVALID_VALUE", ["input", "channel"]),
    ({"eventId": " "}, "INVALID_VALUE", ["input", "eventId"]),
])
def test_a_refused_repayment_is_a_typed_error_with_the_field_path(
        stores: Stores, change: dict[str, str], code: str, field: list[str]) -> None:
    answer = data(run(stores, RECORD_REPAYMENT, input={**PAYMENT, **change}))

    error = answer["recordRepayment"]
    assert (error["__typename"], error["code"], error["field"]) == ("InvalidInput", code, field)
    assert "Traceback" not in error["message"]
    assert count(stores, "repayment") == 0
    assert count(stores, "write_receipt") == 0


def test_a_variable_of_the_wrong_type_is_a_request_error_that_writes_nothing(
        stores: Stores) -> None:
    result = run(stores, RECORD_REPAYMENT, input={**PAYMENT, "amount": "lots", "paidOn": 5})

    assert result.data is None
    assert result.errors and all(error.path is None for error in result.errors)
    assert "amount" in str(result.errors[0]) or "paidOn" in str(result.errors[0])
    assert count(stores, "repayment") == 0


def test_the_other_records(stores: Stores) -> None:
    """Read back by a writer who may see personal data (P1 is a person: its bureau figures
    are masked for anyone else, as everywhere)."""
    answer = data(run(stores, """
      mutation {
        recordTransaction(input: {eventId: "t1", sourceAccount: "A1", targetAccount: "A2",
                                  month: "2025-03", amount: "12.5", count: 2, currency: "usd"}) {
          ... on TransactionRecorded { transfers { month count amount { amount currency } } }
        }
        recordBureauSnapshot(input: {eventId: "b1", id: "B1", partyId: "P1",
                                     asOf: "2025-05-01", score: 700, totalDebt: "10"}) {
          ... on BureauSnapshotRecorded { snapshot { score totalDebt { amount currency }
                                                     overdue90 { amount } } }
        }
        recordExternalEvent(input: {eventId: "e1", id: "E1", kind: "news",
                                    occurredOn: "2025-04-01", title: "Plant closed",
                                    partyIds: ["C1"]}) {
          ... on ExternalEventRecorded { event { id parties { id } severity } }
        }
        bad: recordExternalEvent(input: {eventId: "e2", id: "E2", kind: "rumour",
                                         occurredOn: "2025-04-01", title: "x",
                                         partyIds: ["C1"]}) {
          ... on InvalidInput { code field message }
        }
      }""", personal=True))

    assert answer["recordTransaction"] == {"transfers": {
        "month": "2025-03", "count": 2, "amount": {"amount": "12.50", "currency": "USD"}}}
    assert answer["recordBureauSnapshot"] == {"snapshot": {
        "score": 700, "totalDebt": {"amount": "10.00", "currency": "CNY"},
        "overdue90": None}}
    assert answer["recordExternalEvent"] == {"event": {"id": "E1", "parties": [{"id": "C1"}],
                                                       "severity": None}}
    assert answer["bad"] == {"code": "INVALID_VALUE", "field": ["input", "kind"],
                             "message": "must be one of court_case, news, social; got 'rumour'"}


NOTE = {"eventId": "call-1", "partyId": "P1", "loanId": "L1", "channel": "call",
        "contactedAt": "2025-06-01T09:30:00+08:00", "text": "New mobile 13900000000"}


def test_a_contact_note_is_stored_and_its_text_masked_without_the_right(
        stores: Stores) -> None:
    masked = data(run(stores, ADD_NOTE, input=NOTE))["addContactNote"]
    clear = data(run(stores, ADD_NOTE, input=NOTE, personal=True))["addContactNote"]

    assert masked["__typename"] == "ContactNoteAdded"
    assert masked["note"]["text"] == "[note hidden]"
    assert clear["replayed"] is True
    assert clear["note"] == {**masked["note"], "text": "New mobile 13900000000"}
    assert masked["note"]["author"] == MASKED_WRITER.subject  # who wrote it, from the token
    assert count(stores, "contact_note") == 1


@pytest.mark.parametrize(("change", "code", "field"), [
    ({"partyId": "L1"}, "INVALID_REFERENCE", ["input", "partyId"]),
    ({"partyId": "P2"}, "INVALID_REFERENCE", ["input", "loanId"]),  # P2 has no part in L1
    ({"channel": "pigeon"}, "INVALID_VALUE", ["input", "channel"]),
    ({"text": "  "}, "INVALID_VALUE", ["input", "text"]),
    ({"contactedAt": "2999-01-01T00:00:00+00:00"}, "INVALID_VALUE", ["input", "contactedAt"]),
    ({"contactedAt": "2025-06-01T09:30:00"}, "INVALID_VALUE", ["input", "contactedAt"]),
])
def test_a_refused_contact_note_names_its_field(stores: Stores, change: dict[str, str],
                                                code: str, field: list[str]) -> None:
    error = data(run(stores, ADD_NOTE, input={**NOTE, **change}))["addContactNote"]

    assert (error["__typename"], error["code"], error["field"]) == ("InvalidInput", code, field)
    assert count(stores, "contact_note") == 0


def _raise_alert(stores: Stores) -> int:
    [outcome] = raise_alerts(stores.engine, [AlertDraft(
        rule_id="dpd_30", severity="high", subject_kind="loan", subject_id="L1",
        as_of=date(2025, 6, 1), cooldown_days=30)], actor="scan",
        at=datetime(2025, 6, 1, tzinfo=UTC))
    return outcome.alert_id


def test_the_alert_lifecycle_moves_once_per_event_and_is_announced(stores: Stores) -> None:
    alert_id = _raise_alert(stores)
    feed = LocalAlertFeed()
    heard: list[AlertChange] = []
    feed.publish = heard.append  # type: ignore[method-assign]
    ack = {"eventId": "ack-1", "alertId": str(alert_id), "note": "looking"}

    first = data(run(stores, MOVE, feed=feed, ack=ack))["acknowledgeAlert"]
    again = data(run(stores, MOVE, feed=feed, ack=ack))["acknowledgeAlert"]
    assigned = data(run(stores, ASSIGN, feed=feed, input={
        "eventId": "as-1", "alertId": str(alert_id), "assignee": "ann"}))["assignAlert"]
    resolved = data(run(stores, RESOLVE, feed=feed, input={
        "eventId": "res-1", "alertId": str(alert_id)}))["resolveAlert"]
    late = data(run(stores, MOVE, feed=feed, ack={**ack, "eventId": "ack-2"}))

    assert first == {"__typename": "AlertChanged", "replayed": False,
                     "alert": {"id": f"Alert:{alert_id}", "status": "acknowledged"}}
    assert again == {**first, "replayed": True}
    assert assigned == {"__typename": "AlertChanged",
                        "alert": {"status": "assigned", "assignee": "ann"}}
    assert resolved == {"__typename": "AlertChanged", "alert": {"status": "resolved"}}
    assert late["acknowledgeAlert"]["__typename"] == "TransitionNotAllowed"
    assert late["acknowledgeAlert"]["code"] == "INVALID_TRANSITION"
    assert late["acknowledgeAlert"]["status"] == "resolved"
    assert [(c.alert_id, c.change, c.status) for c in heard] == [
        (alert_id, "acknowledged", "acknowledged"), (alert_id, "assigned", "assigned"),
        (alert_id, "resolved", "resolved")]
    with stores.engine.connect() as connection:
        actions = connection.execute(select(AlertEvent.action).where(  # type: ignore[call-overload]
            AlertEvent.alert_id == alert_id).order_by(AlertEvent.id)).scalars().all()
    assert actions == ["raised", "acknowledged", "assigned", "resolved"]


def test_moving_an_unknown_alert_or_with_a_blank_assignee_is_a_typed_error(
        stores: Stores) -> None:
    missing = data(run(stores, MOVE, ack={"eventId": "a", "alertId": "999"}))
    garbage = data(run(stores, MOVE, ack={"eventId": "a", "alertId": "x1"}))
    alert_id = _raise_alert(stores)
    blank = data(run(stores, ASSIGN, input={"eventId": "b", "alertId": str(alert_id),
                                            "assignee": " "}))

    assert (missing["acknowledgeAlert"]["__typename"], missing["acknowledgeAlert"]["code"],
            missing["acknowledgeAlert"]["field"]) == ("NotFound", "NOT_FOUND",
                                                      ["input", "alertId"])
    assert garbage["acknowledgeAlert"]["code"] == "NOT_FOUND"
    assert (blank["assignAlert"]["code"], blank["assignAlert"]["field"]) == \
        ("INVALID_VALUE", ["input", "assignee"])
    assert count(stores, "write_receipt") == 0
