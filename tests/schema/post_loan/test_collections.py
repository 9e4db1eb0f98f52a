"""Collections through GraphQL on every backend pairing: cases (filtered, paged, one with
its history, as a node, a loan's), transitionCase with its typed errors, audit entry and
announcement, a loan's bucket on any date and its bucket history, roll and cure rates."""

from __future__ import annotations

import asyncio

from sqlalchemy import select

from auth.audit_events import AuditAction
from auth.principal import Role
from portfolio.collections import CollectionCase as CaseRecord
from risk.collections.feed import CaseChange
from tests.principals import principal_of
from tests.schema.post_loan.conftest import CASE_ID
from tests.schema.post_loan.running import Request, codes
from tests.writes.conftest import Stores

CASES = """query C($filter: CaseFilter) { collectionCases(filter: $filter, first: 5) {
  edges { node { id caseId state bucket daysPastDue segment { key } } }
  pageInfo { hasNextPage } } }"""
CASE = """query C($id: ID!) { collectionCase(id: $id) {
  id caseId loanId state openedOn closedOn bucket bucketSince daysPastDue asOf
  outstanding { amount currency } segment { riskTier balanceBand behaviour key }
  loan { id } borrower { id }
  history { seq event fromState toState fromBucket toBucket daysPastDue effectiveOn actor
            reason runNumber } } }"""
NODE = """query N($id: ID!) { node(id: $id) { id ... on CollectionCase { state } } }"""
LOAN = """query L($on: Date!) { loan(id: "L1") {
  collectionCase { caseId state }
  delinquencyAsOf(date: $on) { asOf bucket daysPastDue since }
  bucketHistory { effectiveOn fromBucket toBucket daysPastDue kind } } }"""
ROLL = """query R($from: Date!, $to: Date!) { rollRates(from: $from, to: $to) {
  start end buckets columns cureRate loans newLoans
  rows { fromBucket loans cureRate cells { toBucket loans rate } } } }"""
MOVE = """mutation M($input: TransitionCaseInput!) { transitionCase(input: $input) {
  __typename
  ... on CaseTransitioned { case { state history { seq event actor reason } } }
  ... on UserError { code message field }
  ... on CaseMoveNotAllowed { state allowed } } }"""


def test_a_case_reads_whole_with_its_history_by_id_and_as_a_node(world: Stores) -> None:
    request = Request(world)

    by_id = request(CASE, id=f"CollectionCase:{CASE_ID}")
    by_key = request(CASE, id=CASE_ID)
    node = request(NODE, id=f"CollectionCase:{CASE_ID}")
    missing = request(CASE, id="L9@2025-01-01")

    assert by_id.errors is None and by_id.data == by_key.data
    case = by_id.data["collectionCase"]
    assert {k: v for k, v in case.items() if k != "history"} == {
        "id": f"CollectionCase:{CASE_ID}", "caseId": CASE_ID, "loanId": "L1",
        "state": "open", "openedOn": "2025-02-20", "closedOn": None, "bucket": "31-60",
        "bucketSince": "2025-03-18", "daysPastDue": 31, "asOf": "2025-03-18",
        "outstanding": {"amount": "500000.00", "currency": "CNY"},
        "segment": {"riskTier": "unrated", "balanceBand": "large", "behaviour": "new",
                    "key": "unrated/large/new"},
        "loan": {"id": "L1"}, "borrower": {"id": "C1"}}
    assert [(h["seq"], h["event"], h["fromState"], h["toState"], h["fromBucket"],
             h["toBucket"], h["daysPastDue"], h["effectiveOn"], h["actor"])
            for h in case["history"]] == [
        (1, "opened", None, "open", None, "1-30", 5, "2025-02-20", "system"),
        (2, "moved", "open", "open", "1-30", "31-60", 31, "2025-03-18", "system")]
    assert node.data == {"node": {"id": f"CollectionCase:{CASE_ID}", "state": "open"}}
    assert codes(missing) == ["NOT_FOUND"]


def test_the_case_list_filters_by_state_bucket_segment_and_loan(world: Stores) -> None:
    request = Request(world)

    def listed(**filter_: object) -> list[str]:
        result = request(CASES, filter=filter_ or None)
        assert result.errors is None, result.errors
        return [e["node"]["caseId"] for e in result.data["collectionCases"]["edges"]]

    assert listed() == [CASE_ID]
    assert listed(states=["open"], buckets=["31-60"], segment="unrated/large/new",
                  loanId="L1") == [CASE_ID]
    assert listed(states=["cured"]) == []
    assert listed(buckets=["1-30"]) == []
    assert listed(segment="low/small/paying") == []
    assert listed(loanId="L2") == []
    bad = request(CASES, filter={"states": ["asleep"]})
    assert codes(bad) == ["BAD_USER_INPUT"] and "asleep" in bad.errors[0].message


def test_a_collector_holds_and_resumes_a_case_recorded_audited_and_announced(
        world: Stores) -> None:
    request = Request(world, principal_of(Role.COLLECTOR))
    heard: list[CaseChange] = []

    async def listen() -> None:
        async with request.feed.subscribe() as changes:
            for _ in range(2):
                heard.append(await asyncio.wait_for(anext(changes), 10))

    async def scenario() -> tuple[object, object]:
        listening = asyncio.create_task(listen())
        while request.feed.subscriber_count == 0:
            await asyncio.sleep(0.01)
        held = await asyncio.to_thread(request, MOVE, input={
            "caseId": f"CollectionCase:{CASE_ID}", "move": "HOLD", "reason": "disputed"})
        resumed = await asyncio.to_thread(request, MOVE, input={
            "caseId": CASE_ID, "move": "RESUME", "reason": "dispute settled"})
        await listening
        return held, resumed

    held, resumed = asyncio.run(scenario())

    assert held.data["transitionCase"]["case"]["state"] == "on_hold"  # type: ignore[attr-defined]
    assert resumed.data["transitionCase"]["case"]["history"][2:] == [  # type: ignore[attr-defined]
        {"seq": 3, "event": "held", "actor": "user:collector-user", "reason": "disputed"},
        {"seq": 4, "event": "resumed", "actor": "user:collector-user",
         "reason": "dispute settled"}]
    assert [(c.event, c.from_state, c.state, c.bucket, c.actor) for c in heard] == [
        ("held", "open", "on_hold", "31-60", "user:collector-user"),
        ("resumed", "on_hold", "open", "31-60", "user:collector-user")]
    events = request.audit.of(AuditAction.CHANGE)
    assert [e.operation for e in events] == ["collections case held",
                                            "collections case resumed"]
    assert events[0].targets == (CASE_ID, "L1")


def test_a_move_the_state_does_not_allow_an_unknown_case_and_no_reason_are_typed_errors(
        world: Stores) -> None:
    request = Request(world, principal_of(Role.COLLECTOR))

    resume_open = request(MOVE, input={"caseId": CASE_ID, "move": "RESUME", "reason": "x"})
    unknown = request(MOVE, input={"caseId": "L9@2025-01-01", "move": "HOLD", "reason": "x"})
    no_reason = request(MOVE, input={"caseId": CASE_ID, "move": "HOLD", "reason": " "})
    analyst = request(MOVE, input={"caseId": CASE_ID, "move": "HOLD", "reason": "x"},
                      caller=principal_of(Role.ANALYST))

    assert resume_open.data["transitionCase"] == {
        "__typename": "CaseMoveNotAllowed", "code": "INVALID_TRANSITION",
        "message": f"case {CASE_ID} is open: resumed is not allowed (from open: closed, "
                   "cured, escalated, held, moved, written_off)",
        "field": ["input", "move"], "state": "open", "allowed": ["closed", "held"]}
    assert (unknown.data["transitionCase"]["__typename"],
            unknown.data["transitionCase"]["field"]) == ("NotFound", ["input", "caseId"])
    assert (no_reason.data["transitionCase"]["__typename"],
            no_reason.data["transitionCase"]["field"]) == ("InvalidInput", ["input", "reason"])
    assert codes(analyst) == ["FORBIDDEN"]
    with world.engine.connect() as connection:
        assert connection.execute(select(CaseRecord.state)).scalars().all() == ["open"]
    assert request.audit.of(AuditAction.CHANGE) == []


def test_a_loan_has_its_case_its_bucket_on_any_covered_day_and_its_history(
        world: Stores) -> None:
    request = Request(world)

    on_day = request(LOAN, on="2025-03-10")
    later = request(LOAN, on="2025-03-20")
    outside = request(LOAN, on="2025-01-31")

    assert on_day.errors is None
    loan = on_day.data["loan"]
    assert loan["collectionCase"] == {"caseId": CASE_ID, "state": "open"}
    assert loan["delinquencyAsOf"] == {"asOf": "2025-03-10", "bucket": "1-30",
                                       "daysPastDue": 23, "since": "2025-02-20"}
    assert later.data["loan"]["delinquencyAsOf"]["daysPastDue"] == 33
    assert loan["bucketHistory"] == [
        {"effectiveOn": "2025-02-20", "fromBucket": None, "toBucket": "1-30",
         "daysPastDue": 5, "kind": "opening"},
        {"effectiveOn": "2025-03-18", "fromBucket": "1-30", "toBucket": "31-60",
         "daysPastDue": 31, "kind": "move"}]
    assert codes(outside) == ["BAD_USER_INPUT"]
    assert "the runs cover 2025-02-20 to 2025-03-20" in outside.errors[0].message


def test_roll_rates_between_two_covered_days(world: Stores) -> None:
    request = Request(world)

    result = request(ROLL, **{"from": "2025-02-20", "to": "2025-03-20"})
    backwards = request(ROLL, **{"from": "2025-03-20", "to": "2025-02-20"})

    assert result.errors is None
    rates = result.data["rollRates"]
    assert rates["buckets"] == ["current", "1-30", "31-60", "61-90", "90+"]
    assert rates["columns"] == [*rates["buckets"], "closed", "written_off"]
    assert (rates["loans"], rates["newLoans"], rates["cureRate"]) == (1, 0, 0.0)
    row = next(r for r in rates["rows"] if r["fromBucket"] == "1-30")
    assert (row["loans"], row["cureRate"]) == (1, 0.0)
    assert [(c["toBucket"], c["loans"], c["rate"]) for c in row["cells"]
            if c["loans"]] == [("31-60", 1, 1.0)]
    assert rates["rows"][0]["cureRate"] is None
    assert codes(backwards) == ["BAD_USER_INPUT"]
