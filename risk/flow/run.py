"""The flow of one event: scope, re-score, follow up (see :mod:`risk.flow`).

Every step is once by its own natural key (alerts by their dedupe key, reviews by loan,
date and kind, follow-ups by alert and loan), so running the flow of an event again, after
a crash or on a second delivery, raises nothing new, clears nothing twice, and opens no
second review or case.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Engine

from auth.audit_events import AuditSink
from graph.store import GraphStore
from portfolio.alerts import Alert
from risk.alerts.feed import AlertFeed
from risk.alerts.lifecycle import RaiseOutcome
from risk.collections.config import DEFAULT_COLLECTIONS, CollectionsConfig
from risk.flow.events import FlowEvent
from risk.flow.follow_up import FollowUp, follow_up
from risk.flow.history import neighbourhood_history
from risk.flow.local_graph import local_graph
from risk.flow.policy import FlowPolicy
from risk.flow.rescore import live_alerts_in, rescore
from risk.flow.scope import Scope, scope_of
from risk.models.scores import PartyScores
from risk.reviews.basis import ReviewBasis
from risk.reviews.policy import DEFAULT_POLICY, ReviewPolicy
from risk.reviews.review import DEFAULT_ACTOR
from risk.rules.delinquency import DelinquencySource
from risk.rules.evaluate import SkippedRule
from risk.rules.loader import RuleSet

__all__ = ["FLOW_ACTOR", "FlowResult", "run_flow"]

#: Who raises, clears and follows up what the flow does (as the scheduler's reviews).
FLOW_ACTOR = DEFAULT_ACTOR


@dataclass(frozen=True, slots=True)
class FlowResult:
    """What the flow of ``event`` did."""

    event: FlowEvent
    scope: Scope
    outcomes: list[RaiseOutcome]
    cleared: list[Alert]
    follow_ups: list[FollowUp]
    skipped: list[SkippedRule] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "event": self.event.event_id, "entity": self.event.entity,
            "as_of": self.event.as_of.isoformat(),
            "scope": {"centres": list(self.scope.centres), "parties": len(self.scope.parties),
                      "loans": len(self.scope.loans), "truncated": self.scope.truncated},
            "alerts": [{"id": o.alert_id, "rule": o.draft.rule_id, "outcome": o.outcome,
                        "subject": f"{o.draft.subject_kind} {o.draft.subject_id}",
                        "severity": o.draft.severity} for o in self.outcomes],
            "cleared": [a.id for a in self.cleared],
            "follow_ups": [{"alert": f.alert_id, "loan": f.loan_id, "review": f.review_id,
                            "case": f.case_id, "new": f.written} for f in self.follow_ups],
            "skipped": [{"rule": s.rule_id, "reason": s.reason} for s in self.skipped]}


def run_flow(event: FlowEvent, *, engine: Engine, graph: GraphStore, rules: RuleSet,
             policy: FlowPolicy = FlowPolicy(),
             delinquency: DelinquencySource | None = None,
             scores: PartyScores | None = None, feed: AlertFeed | None = None,
             audit: AuditSink | None = None,
             collections: CollectionsConfig = DEFAULT_COLLECTIONS,
             review_policy: ReviewPolicy = DEFAULT_POLICY,
             now: Callable[[], datetime] | None = None,
             review_basis: Callable[[date], ReviewBasis] | None = None) -> FlowResult:
    """Re-score the neighbourhood of ``event`` as of its date and follow up its serious
    alerts (see the module and :mod:`risk.flow`).

    ``delinquency``: the repayment history the rules read; by default the records' history
    read for the neighbourhood's loans only (:func:`risk.flow.history.
    neighbourhood_history`: the scope's alerts are those the whole book gives it);
    ``scores``: the PD scores for the PD rules; ``feed``: where alert changes are announced;
    ``audit``: where case openings go; ``review_basis``: the review basis of a date (a
    :class:`risk.reviews.basis.BasisCache`'s, so that the PD and LGD figures of a date are
    built once for many events; by default each event's reviews build their own).

    Raises:
        RiskError: a bad actor or two drafts of one key (a bug in a rule).
        ConcurrentRun: another run raised the same alerts, or opened a case on the same loan
            (:class:`risk.errors.FlowConflict`), at the same moment; run it again.
        GraphError, BackendUnavailable, SQLAlchemyError: a store failed; a rerun completes
            what was left.
    """
    clock = now or (lambda: datetime.now(UTC))
    scope = scope_of(graph, loans=event.loans, accounts=event.accounts, parties=event.parties,
                     hops=policy.hops)
    if delinquency is None:
        delinquency = neighbourhood_history(engine, graph, scope, rules=rules.rules,
                                            hops=policy.hops, as_of=event.as_of)
    # The rules read the part of the graph the scope's alerts depend on, when it is small.
    with local_graph(graph, scope, rules=rules.rules, flow_hops=policy.hops) as local:
        rescored = rescore(rules, scope, as_of=event.as_of, graph=local or graph,
                           engine=engine, actor=FLOW_ACTOR, event_id=event.event_id,
                           delinquency=delinquency, scores=scores, feed=feed, at=clock())
    found = {o.alert_id for o in rescored.outcomes if o.outcome != "cooled_down"}
    standing = [a for a in live_alerts_in(engine, scope) if a.id in found]
    follow_ups = follow_up(engine, graph, standing, as_of=event.as_of, event_id=event.event_id,
                           policy=policy, collections=collections,
                           review_policy=review_policy, audit=audit, now=clock,
                           basis=None if review_basis is None
                           else lambda: review_basis(event.as_of))
    return FlowResult(event=event, scope=scope, outcomes=rescored.outcomes,
                      cleared=rescored.cleared, follow_ups=follow_ups,
                      skipped=rescored.skipped)
