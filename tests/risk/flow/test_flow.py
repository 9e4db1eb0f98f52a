"""The event flow on every backend (embedded graph on SQLite and on PostgreSQL, Neo4j): an
event on a guaranteed loan raises the network alert on its guarantor, opens a triggered
review and a collection case carrying the alert's path, once however often it runs; an
event that brings the loan back clears what it raised; parties outside the neighbourhood
are left alone."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from sqlmodel import Session

from ingest.recording import record_row
from portfolio.alert_follow_ups import AlertFollowUp
from portfolio.alerts import Alert
from portfolio.collections import CollectionCase
from portfolio.reviews import ReviewRecord
from risk.collections.cases import get_case
from risk.collections.run import run_collections
from risk.errors import RiskError
from risk.flow.events import FlowEvent, flow_event
from risk.flow.policy import FlowPolicy
from risk.flow.run import FlowResult, run_flow
from risk.reviews import get_review
from risk.rules.loader import DEFAULT_RULES_FILE, load_rules
from tests.ingest.importing import import_files, rejects_of
from tests.portfolio.databases import postgres_engine, sqlite_engine
from tests.principals import ListAuditSink
from tests.risk.flow.feeds import HeardFeed
from tests.risk.flow.network import ARREARS, CLEARING_DAY, EVENT_DAY, write_network
from tests.risk.rules.stores import Stores, stores
from tests.schema.post_loan.running import Request

__all__ = ["postgres_engine", "sqlite_engine", "stores"]

T0 = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
RULES = load_rules(DEFAULT_RULES_FILE)
TRIGGERS = """query C($id: ID!) { collectionCase(id: $id) { caseId triggers {
  alertId ruleId severity eventId reviewId evidenceNodes { id label }
  evidencePath { type source target } } } }"""


def _count(engine: Engine, table: type) -> int:
    with Session(engine) as session:
        return int(session.execute(select(func.count()).select_from(table)).scalar_one())


def _record(s: Stores, event_id: str, paid_on: str, amount: str) -> FlowEvent:
    recorded = record_row("repayments", event_id, {
        "id": f"R-{event_id}", "loan_id": "L1", "paid_on": paid_on, "amount": amount},
        graph=s.graph, engine=s.engine, actor="bank-feed")
    return flow_event("repayments", event_id, recorded.values)


def _flow(s: Stores, event: FlowEvent, feed: HeardFeed | None = None,
          policy: FlowPolicy | None = None) -> FlowResult:
    return run_flow(event, engine=s.engine, graph=s.graph, rules=RULES,
                    policy=policy or FlowPolicy(), feed=feed, now=lambda: T0)


@pytest.fixture
def network(stores: Stores, tmp_path: Path) -> Stores:
    report = import_files([write_network(tmp_path / "network")], stores.graph, stores.engine)
    assert rejects_of(report) == []
    return stores


def test_an_event_on_a_guaranteed_loan_opens_a_review_and_a_case_once(network: Stores) -> None:
    feed = HeardFeed()
    event = _record(network, "ev-1", EVENT_DAY, "100.00")
    assert (event.as_of, event.loans) == (date(2025, 1, 15), ("L1",))

    result = _flow(network, event, feed)

    # The neighbourhood of L1's borrower: P2, L1, the guarantor P1 and its own loan L2.
    assert result.scope.centres == ("P2",)
    assert result.scope.parties == {"P1", "P2"} and result.scope.loans == {"L1", "L2"}
    raised = {(o.draft.rule_id, o.draft.subject_id): o for o in result.outcomes}
    assert ("related-default-2", "P1") in raised and ("dpd-90", "L1") in raised
    assert all(o.outcome == "raised" for o in result.outcomes)
    assert not any(subject in {"P3", "L3"} for _, subject in raised)
    network_alert = raised[("related-default-2", "P1")]
    with Session(network.engine) as session:
        alert = session.get(Alert, network_alert.alert_id)
    assert alert is not None
    assert [(e["source"], e["type"], e["target"]) for e in alert.evidence["edges"]] == [
        ("P2", "BORROWS", "L1"), ("P1", "GUARANTEES", "L1")]
    assert {(c.alert_id, c.change) for c in feed.heard} == {
        (o.alert_id, "raised") for o in result.outcomes}

    # The guarantor's own loan: a triggered review in the human queue, and a case whose
    # trigger is the alert's evidence path.
    ups = {(f.alert_id, f.loan_id): f for f in result.follow_ups}
    assert set(ups) == {(network_alert.alert_id, "L2"), (raised[("dpd-90", "L1")].alert_id,
                                                         "L1")}
    up = ups[(network_alert.alert_id, "L2")]
    assert up.written and up.case_id == "L2@2025-01-15" and up.review_id is not None
    review = get_review(network.engine, up.review_id)
    assert (review.kind, review.loan_id, review.status, review.as_of) == (
        "triggered", "L2", "pending", date(2025, 1, 15))
    assert review.trigger is not None and review.trigger["alert_id"] == alert.id
    assert review.trigger["event_id"] == "ev-1"
    case = get_case(network.engine, "L2@2025-01-15")
    assert (case.state, case.bucket, case.dpd, case.borrower_id) == ("open", "current", 0, "P1")
    assert [h.event for h in case.history] == ["opened"]
    assert f"alert {alert.id} (related-default-2)" in case.history[0].reason
    assert [(t.alert_id, t.event_id, t.path) for t in case.triggers] == [
        (alert.id, "ev-1", alert.evidence)]
    # The same through GraphQL, read in a batch as a page of cases would.
    shown = Request(network)(TRIGGERS, id="CollectionCase:L2@2025-01-15")
    assert shown.errors is None
    assert shown.data == {"collectionCase": {"caseId": "L2@2025-01-15", "triggers": [{
        "alertId": f"Alert:{alert.id}", "ruleId": "related-default-2",
        "severity": alert.severity, "eventId": "ev-1", "reviewId": f"Review:{up.review_id}",
        "evidenceNodes": alert.evidence["nodes"],
        "evidencePath": [{"type": e["type"], "source": e["source"], "target": e["target"]}
                         for e in alert.evidence["edges"]]}]}}
    l1_case = get_case(network.engine, "L1@2025-01-15")
    assert (l1_case.bucket, l1_case.dpd) == ("90+", 136)

    counts = {t: _count(network.engine, t)
              for t in (Alert, ReviewRecord, CollectionCase, AlertFollowUp)}
    assert counts == {Alert: 4, ReviewRecord: 2, CollectionCase: 2, AlertFollowUp: 2}

    # The daily run sees L2 current: a case with no arrears is not "cured" away; it waits
    # for a person (or for arrears).
    run_collections(network.engine, date(2025, 1, 15), audit=ListAuditSink())
    assert get_case(network.engine, "L2@2025-01-15").state == "open"

    # Delivered twice: nothing new, nothing announced.
    again = _flow(network, event, feed)
    assert {o.outcome for o in again.outcomes} == {"unchanged"}
    assert not any(f.written for f in again.follow_ups)
    assert {(f.alert_id, f.loan_id, f.review_id, f.case_id) for f in again.follow_ups} == {
        (f.alert_id, f.loan_id, f.review_id, f.case_id) for f in result.follow_ups}
    assert {t: _count(network.engine, t) for t in counts} == counts
    assert len(feed.heard) == len(result.outcomes)


def test_an_event_that_brings_the_loan_back_clears_the_network_alert(network: Stores) -> None:
    first = _flow(network, _record(network, "ev-1", EVENT_DAY, "100.00"))
    related = next(o.alert_id for o in first.outcomes if o.draft.rule_id == "related-default-2")
    feed = HeardFeed()

    cleared = _flow(network, _record(network, "ev-2", CLEARING_DAY, ARREARS), feed)

    ids = {a.id for a in cleared.cleared}
    assert related in ids
    with Session(network.engine) as session:
        alert = session.get(Alert, related)
    assert alert is not None and alert.status == "resolved"
    assert ("resolved" in {c.change for c in feed.heard if c.alert_id == related})
    assert cleared.follow_ups == []  # nothing serious stands: no new review, no new case
    assert _count(network.engine, ReviewRecord) == 2
    # The case stays, with the path that opened it, for the collector to close.
    assert get_case(network.engine, "L2@2025-01-15").triggers[0].alert_id == related


def test_a_policy_without_cases_opens_only_the_review(network: Stores) -> None:
    policy = FlowPolicy(case_rules=frozenset({"court-case"}))
    result = _flow(network, _record(network, "ev-1", EVENT_DAY, "100.00"), policy=policy)
    assert result.follow_ups and all(f.case_id is None for f in result.follow_ups)
    assert _count(network.engine, CollectionCase) == 0
    assert _count(network.engine, ReviewRecord) == 2


def test_bad_policies_and_events_are_refused_with_what_is_wrong() -> None:
    with pytest.raises(RiskError, match="1 to 6 hops"):
        FlowPolicy(hops=0)
    with pytest.raises(RiskError, match="review_severity must be one of"):
        FlowPolicy(review_severity="urgent")
    with pytest.raises(RiskError, match="names no loan, account or party"):
        FlowEvent("e", "bureau", date(2025, 1, 1))
    with pytest.raises(RiskError, match="malformed flow event 'e'"):
        FlowEvent.from_args("e", ["bureau", "not a date", [], [], ["P1"]])
    with pytest.raises(RiskError, match="does not start the flow"):
        flow_event("loans", "e", {"id": "L1"})
    event = flow_event("transactions", "t-1", {"source_account": "A1", "target_account": "A2",
                                               "month": "2024-02"})
    assert (event.as_of, event.accounts) == (date(2024, 2, 29), ("A1", "A2"))
    assert FlowEvent.from_args("t-1", list(event.as_args())) == event
