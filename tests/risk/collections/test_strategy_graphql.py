"""The collections strategies through GraphQL on SQLite and PostgreSQL: a collector records
a promise (typed errors, replayed), reads a case's actions and the promises, the report
answers per strategy and arm, and a caller without WORK_COLLECTIONS is refused."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from sqlalchemy import Engine, text
from strawberry.types import ExecutionResult

from auth.principal import Principal, Role
from graph.stores.embedded import EmbeddedGraphStore
from schema import build_context, build_schema
from tests.audit.trails import trail
from tests.principals import principal_of
from tests.risk.collections.test_strategies import OPENED, Recorder, _book, _step

SCHEMA = build_schema(mask_errors=True)
RECORD = """
mutation Promise($input: RecordPromiseInput!) {
  recordPromise(input: $input) {
    __typename
    ... on PromiseRecorded { replayed promise { number caseId loanId borrowerId
        amount { amount currency } madeOn promisedFor channel recordedBy status } }
    ... on UserError { code message field }
  }
}"""
READ = """
query Work($case: ID!) {
  caseActions(caseId: $case) { step kind plannedOn status channel cost { amount currency } }
  promisesToPay(caseId: $case, first: 5) {
    edges { node { number status amount { amount } } }
    pageInfo { hasNextPage }
  }
  collectionStrategiesReport(asOf: "2024-02-20", from: "2024-02-01") {
    asOf from to
    strategies { strategy arm cases cured cureRate states { name count }
                 actions { kind count cost { amount currency } }
                 cost { amount currency } promises { name count } }
  }
}"""


def _run(engine: Engine, document: str, principal: Principal, **variables: Any) \
        -> ExecutionResult:
    audit = trail(engine)

    async def go() -> ExecutionResult:
        return await SCHEMA.execute(document, variable_values=variables, context_value=(
            build_context(EmbeddedGraphStore(engine), records=engine, audit=audit,
                          principal=principal)))

    try:
        return asyncio.run(go())
    finally:
        audit.close()


def _data(result: ExecutionResult) -> dict[str, Any]:
    assert result.errors is None, result.errors
    assert result.data is not None
    return result.data


def test_promises_actions_and_the_report(database: Engine) -> None:
    _book(database)
    _step(database, OPENED, Recorder())
    collector = principal_of(Role.COLLECTOR)
    promise = {"caseId": "L2@2024-02-15", "amount": "11.00", "promisedFor": "2024-02-25",
               "madeOn": "2024-02-16", "channel": "call"}

    first = _data(_run(database, RECORD, collector, input=promise))["recordPromise"]
    assert first["__typename"] == "PromiseRecorded" and first["replayed"] is False
    assert first["promise"] | {"number": 0} == {
        "number": 0, "caseId": "L2@2024-02-15", "loanId": "L2", "borrowerId": "P2",
        "amount": {"amount": "11.00", "currency": "CNY"}, "madeOn": "2024-02-16",
        "promisedFor": "2024-02-25", "channel": "call", "recordedBy": collector.subject,
        "status": "pending"}
    again = _data(_run(database, RECORD, collector, input=promise))["recordPromise"]
    assert again["replayed"] is True and again["promise"]["number"] == first["promise"]["number"]
    with database.connect() as connection:
        logged = connection.execute(text(
            "SELECT count(*) FROM audit_log WHERE operation = 'collections promise recorded'"
        )).scalar_one()
    assert logged == 1

    bad = _data(_run(database, RECORD, collector, input=promise | {"amount": "1.001"}))
    assert bad["recordPromise"] == {
        "__typename": "InvalidInput", "code": "INVALID_VALUE", "field": ["input", "amount"],
        "message": "amount: 1.001 has more decimals than CNY (2)"}
    missing = _data(_run(database, RECORD, collector,
                         input=promise | {"caseId": "L9@2024-02-15"}))["recordPromise"]
    assert (missing["__typename"], missing["field"]) == ("NotFound", ["input", "caseId"])

    read = _data(_run(database, READ, collector, case="L2@2024-02-15"))
    assert [(a["step"], a["kind"], a["status"]) for a in read["caseActions"]] == [
        ("s.2", "sms", "dispatched"), ("s.3", "sms", "planned"),
        ("s.4", "call_task", "planned"), ("s.1", "reminder", "planned")]
    assert read["caseActions"][0]["cost"] == {"amount": "0.05", "currency": "CNY"}
    assert [e["node"]["status"] for e in read["promisesToPay"]["edges"]] == ["pending"]
    report = read["collectionStrategiesReport"]
    assert (report["asOf"], report["from"], report["to"]) == ("2024-02-20", "2024-02-01", None)
    (firm,) = report["strategies"]
    assert (firm["strategy"], firm["arm"], firm["cases"], firm["cured"], firm["cureRate"]) \
        == ("firm", "champion", 2, 0, 0.0)
    assert firm["states"] == [{"name": "open", "count": 2}]
    assert firm["promises"] == [{"name": "pending", "count": 1}]


def test_rights_and_unknown_cases(database: Engine) -> None:
    _book(database)
    analyst = principal_of(Role.ANALYST)
    refused = _run(database, RECORD, analyst, input={
        "caseId": "L2@2024-02-15", "amount": "1", "promisedFor": "2024-02-25"})
    assert refused.errors is not None
    assert refused.errors[0].extensions["code"] == "FORBIDDEN"  # type: ignore[index]
    unknown = _run(database, "{ caseActions(caseId: \"L9@2024-01-01\") { step } }", analyst)
    assert unknown.errors is not None
    assert unknown.errors[0].extensions["code"] == "NOT_FOUND"  # type: ignore[index]
    bad = _run(database, "{ promisesToPay(status: \"maybe\") { edges { cursor } } }", analyst)
    assert bad.errors is not None
    assert bad.errors[0].extensions["code"] == "BAD_USER_INPUT"  # type: ignore[index]


COMPLETE = """
mutation Done($input: CompleteCollectionTaskInput!) {
  completeCollectionTask(input: $input) {
    __typename
    ... on CollectionTaskCompleted { action { number kind status note doneBy } }
    ... on UserError { code message field }
  }
}"""
PREFER = """
mutation Prefer($input: SetContactPreferenceInput!) {
  setContactPreference(input: $input) {
    __typename
    ... on ContactPreferenceSet { partyId preferredChannel refused timezone }
    ... on UserError { code message field }
  }
}"""


def test_a_collector_closes_a_task_and_keeps_what_the_borrower_said(database: Engine) -> None:
    _book(database)
    _step(database, OPENED, Recorder())
    _step(database, OPENED + timedelta(days=2), Recorder())  # the call task falls due
    collector = principal_of(Role.COLLECTOR)
    actions = _data(_run(database, '{ caseActions(caseId: "L2@2024-02-15") { number kind '
                         'status } }', collector))["caseActions"]
    (task,) = [a for a in actions if a["kind"] == "call_task"]
    assert task["status"] == "open"

    done = _data(_run(database, COMPLETE, collector, input={
        "actionNumber": task["number"], "outcome": "will pay on Friday"}))
    again = _data(_run(database, COMPLETE, collector, input={
        "actionNumber": task["number"], "outcome": "again"}))
    missing = _data(_run(database, COMPLETE, collector, input={
        "actionNumber": 999_999, "outcome": "x"}))

    assert done["completeCollectionTask"] == {
        "__typename": "CollectionTaskCompleted", "action": {
            "number": task["number"], "kind": "call_task", "status": "done",
            "note": "will pay on Friday", "doneBy": collector.subject}}
    assert (again["completeCollectionTask"]["__typename"],
            again["completeCollectionTask"]["code"],
            again["completeCollectionTask"]["field"]) == (
        "InvalidInput", "INVALID_TRANSITION", ["input", "actionNumber"])
    assert (missing["completeCollectionTask"]["__typename"],
            missing["completeCollectionTask"]["field"]) == ("NotFound", ["input", "actionNumber"])

    stored = _data(_run(database, PREFER, collector, input={
        "partyId": "P2", "preferredChannel": "email", "refused": ["sms"],
        "timezone": "Asia/Shanghai"}))
    fax = _data(_run(database, PREFER, collector, input={
        "partyId": "P2", "preferredChannel": "fax"}))
    refused = _run(database, PREFER, principal_of(Role.ANALYST), input={"partyId": "P2"})

    assert stored["setContactPreference"] == {
        "__typename": "ContactPreferenceSet", "partyId": "P2", "preferredChannel": "email",
        "refused": ["sms"], "timezone": "Asia/Shanghai"}
    assert (fax["setContactPreference"]["__typename"],
            fax["setContactPreference"]["field"]) == ("InvalidInput",
                                                      ["input", "preferredChannel"])
    assert refused.errors is not None
    assert refused.errors[0].extensions["code"] == "FORBIDDEN"  # type: ignore[index]
    with database.connect() as connection:
        operations = connection.execute(text(
            "SELECT operation FROM audit_log WHERE operation LIKE 'collections %'")
        ).scalars().all()
    assert "collections task done" in operations
    assert sum("contact" in op for op in operations) == 1  # the fax was never stored
