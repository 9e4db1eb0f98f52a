"""Disposals through GraphQL on SQLite and PostgreSQL: propose, approve, reject as the
signed-in users of the tokens (the proposer can never approve), typed errors pointing at
the input field, replays by event id, the reads, and the rights each field declares."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import Engine
from strawberry.types import ExecutionResult

from auth.principal import SCOPES, Principal, Right, Role
from graph.stores.embedded import EmbeddedGraphStore
from schema import build_context, build_schema
from schema.permissions import declared_right
from tests.principals import ListAuditSink, principal_of
from tests.risk.disposals.loans import LOAN, add_annuity_loan, installments

SCHEMA = build_schema(mask_errors=True)
COLLECTOR = principal_of(Role.COLLECTOR)
MANAGER = principal_of(Role.MANAGER)
ADMIN = principal_of(Role.ADMIN)
NO_USER = Principal(subject="client:robot", client_id="robot", role=Role.ADMIN,
                    scopes=frozenset(SCOPES))

PROPOSE = """
mutation P($input: ProposeDisposalInput!) {
  proposeDisposal(input: $input) {
    __typename
    ... on DisposalChanged { replayed disposal { number state kind proposedBy loanId
        amount { amount currency }
        schedule { seq dueOn principal { amount } interest { amount } total { amount } }
        replaces { seq } history { event actor } } }
    ... on UserError { code message field }
  }
}"""
APPROVE = """
mutation A($input: DecideDisposalInput!) {
  approveDisposal(input: $input) {
    __typename
    ... on DisposalChanged { replayed disposal { number state decidedBy outcome
        history { seq event fromState toState actor reason } } }
    ... on UserError { code message field }
  }
}"""
REJECT = """
mutation R($input: DecideDisposalInput!) {
  rejectDisposal(input: $input) {
    __typename
    ... on DisposalChanged { disposal { state decisionReason } }
    ... on UserError { code message }
  }
}"""
READ = """
query Q($number: Int!) {
  disposals(state: APPROVED, first: 10) { edges { cursor node { number kind state } }
                                          pageInfo { hasNextPage } }
  all: disposals(loanId: "L-1") { edges { node { number state } } }
  disposal(number: $number) { number state history { event actor } }
  none: disposal(number: 999) { number }
}"""
EXTENSION = {"eventId": "p-1", "loanId": LOAN, "kind": "TERM_EXTENSION",
             "effectiveOn": "2026-07-01", "extendBy": 3, "reason": "lost a customer"}


def _run(engine: Engine, document: str, caller: Principal,
         audit: ListAuditSink | None = None, **variables: Any) -> ExecutionResult:
    async def go() -> ExecutionResult:
        return await SCHEMA.execute(document, variable_values=variables, context_value=(
            build_context(EmbeddedGraphStore(engine), records=engine, principal=caller,
                          audit=audit)))

    return asyncio.run(go())


def _data(result: ExecutionResult) -> dict[str, Any]:
    assert result.errors is None, result.errors
    assert result.data is not None
    return result.data


NODES = """query N($ids: [ID!]!) { nodes(ids: $ids) { id ... on Disposal {
  number state history { event } } } }"""


def test_propose_approve_and_read(database: Engine) -> None:
    add_annuity_loan(database)
    audit = ListAuditSink()
    proposed = _data(_run(database, PROPOSE, COLLECTOR, audit, input=EXTENSION))[
        "proposeDisposal"]
    assert proposed["__typename"] == "DisposalChanged" and not proposed["replayed"]
    disposal = proposed["disposal"]
    assert (disposal["state"], disposal["kind"], disposal["proposedBy"], disposal["amount"]) \
        == ("PROPOSED", "TERM_EXTENSION", "collector-user", None)
    assert len(disposal["schedule"]) == 10 and len(disposal["replaces"]) == 7
    first = disposal["schedule"][0]
    assert first["dueOn"] == "2026-07-15" and "." in first["total"]["amount"]
    again = _data(_run(database, PROPOSE, COLLECTOR, audit, input=EXTENSION))[
        "proposeDisposal"]
    assert again["replayed"] and again["disposal"]["number"] == disposal["number"]

    decide = {"eventId": "a-1", "disposalNumber": disposal["number"], "reason": "agreed"}
    refused = _run(database, APPROVE, COLLECTOR, input=decide)
    assert refused.errors and (refused.errors[0].extensions or {})["code"] == "FORBIDDEN"
    robot = _data(_run(database, APPROVE, NO_USER, input=decide))["approveDisposal"]
    assert robot["__typename"] == "DisposalNotAllowed"
    assert "needs a signed-in user" in robot["message"]
    approved = _data(_run(database, APPROVE, MANAGER, audit, input=decide))["approveDisposal"]
    assert approved["__typename"] == "DisposalChanged"
    assert approved["disposal"]["state"] == "APPROVED"
    assert approved["disposal"]["outcome"]["installments_written"] == 10
    assert [(h["event"], h["actor"]) for h in approved["disposal"]["history"]] == [
        ("proposed", "collector-user"), ("approved", "manager-user")]
    assert len(installments(database)) == 15  # five kept (unpaid: arrears stay), ten new
    replay = _data(_run(database, APPROVE, MANAGER, audit, input=decide))["approveDisposal"]
    assert replay["replayed"]
    assert [e.operation for e in audit.events] == ["disposals propose", "disposals approve"]
    assert {e.user for e in audit.events} == {"collector-user", "manager-user"}

    read = _data(_run(database, READ, principal_of(Role.ANALYST), number=disposal["number"]))
    assert [e["node"]["number"] for e in read["disposals"]["edges"]] == [disposal["number"]]
    assert read["disposals"]["pageInfo"]["hasNextPage"] is False
    assert read["disposal"]["history"][1] == {"event": "approved", "actor": "manager-user"}
    assert read["none"] is None

    # A Relay node: refetched by its global id, alone or among others, history included.
    node_id = f"Disposal:{disposal['number']}"
    nodes = _data(_run(database, NODES, principal_of(Role.ANALYST), ids=[node_id, "Disposal:999"]))
    assert nodes["nodes"] == [{"id": node_id, "number": disposal["number"], "state": "APPROVED",
                               "history": [{"event": "proposed"}, {"event": "approved"}]},
                              None]
    one = _data(_run(database, NODES.replace("nodes(ids: $ids)", "node(id: $id)").replace(
        "$ids: [ID!]!", "$id: ID!"), principal_of(Role.ANALYST), id=node_id))
    assert one["node"] == nodes["nodes"][0]


def test_the_proposer_cannot_decide_and_errors_are_typed(database: Engine) -> None:
    add_annuity_loan(database)
    bad = _data(_run(database, PROPOSE, MANAGER, input={
        **EXTENSION, "kind": "WRITE_OFF"}))["proposeDisposal"]
    assert (bad["__typename"], bad["field"]) == ("InvalidInput", ["input", "extendBy"])
    unknown = _data(_run(database, PROPOSE, MANAGER, input={
        **EXTENSION, "eventId": "p-2", "loanId": "NOPE"}))["proposeDisposal"]
    assert (unknown["__typename"], unknown["field"]) == ("InvalidInput", ["input", "loanId"])
    made = _data(_run(database, PROPOSE, MANAGER, input={
        **EXTENSION, "eventId": "p-3", "kind": "WRITE_OFF", "extendBy": None,
        "amount": "100.00"}))["proposeDisposal"]
    number = made["disposal"]["number"]
    assert made["disposal"]["amount"] == {"amount": "100.00", "currency": "CNY"}
    conflict = _data(_run(database, PROPOSE, MANAGER, input={
        **EXTENSION, "eventId": "p-3"}))["proposeDisposal"]
    assert conflict["__typename"] == "EventIdConflict"
    decide = {"eventId": "d-1", "disposalNumber": number, "reason": "mine"}
    own = _data(_run(database, APPROVE, MANAGER, input=decide))["approveDisposal"]
    assert own["__typename"] == "DisposalNotAllowed" and "maker-checker" in own["message"]
    own_reject = _data(_run(database, REJECT, MANAGER, input={**decide, "eventId": "d-2"}))
    assert own_reject["rejectDisposal"]["__typename"] == "DisposalNotAllowed"
    rejected = _data(_run(database, REJECT, ADMIN, input={**decide, "eventId": "d-3",
                                                          "reason": "too early"}))
    assert rejected["rejectDisposal"]["disposal"] == {"state": "REJECTED",
                                                      "decisionReason": "too early"}
    missing = _data(_run(database, APPROVE, ADMIN, input={**decide, "eventId": "d-4",
                                                          "disposalNumber": 999}))
    assert missing["approveDisposal"]["__typename"] == "NotFound"


def test_the_mutations_declare_their_rights() -> None:
    mutation = SCHEMA.get_type_by_name("Mutation")
    assert mutation is not None
    rights = {f.name: declared_right(f.metadata) for f in mutation.fields}  # type: ignore[union-attr]
    assert {name: rights[name] for name in ("propose_disposal", "approve_disposal",
                                            "reject_disposal")} == {
        "propose_disposal": Right.PROPOSE_DISPOSAL, "approve_disposal": Right.APPROVE_DISPOSAL,
        "reject_disposal": Right.APPROVE_DISPOSAL}
