"""Re-score a scope of the graph as of a date: raise the alerts the rules find there, clear
the ones they no longer find.

The rules are evaluated as a standalone run evaluates them (:func:`risk.rules.evaluate.
evaluate`, the same code and the same figures); only the alerts whose subject lies in the
scope are kept. Concentration rules are left out: their alerts are about slices of the whole
book (a sector, a group, a circle), never a neighbourhood's parties or loans, and finding
the groups and circles is a large part of an evaluation. The alerts kept are raised as
:func:`risk.alerts.lifecycle.raise_alerts` raises them (deduplicated, cooled down, one
transaction). An alert that is live in the scope, of a rule
that was evaluated, dated on or before the date, and that the rules no longer find, is
*cleared*: resolved by the flow's actor with a note naming the event, in one transaction.
Every change is announced on the alert feed once committed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Final

from sqlalchemy import Engine, and_, or_
from sqlmodel import Session, col, select

from graph.store import GraphStore
from portfolio.alerts import Alert, AlertAction, AlertStatus, SubjectKind
from risk.alerts.commands import alert_change, announce_outcomes
from risk.alerts.feed import AlertFeed
from risk.alerts.lifecycle import RaiseOutcome, move_in, raise_alerts
from risk.errors import InvalidTransition
from risk.flow.scope import Scope
from risk.models.scores import PartyScores
from risk.rules.delinquency import DelinquencySource
from risk.rules.evaluate import SkippedRule, evaluate
from risk.rules.loader import RuleSet
from risk.rules.schema import Concentration

__all__ = ["Rescored", "rescore"]

_IDS_PER_QUERY: Final = 500


@dataclass(frozen=True, slots=True)
class Rescored:
    """What re-scoring did: the outcome of each alert found in the scope, the alerts
    cleared, and the rules not evaluated (with why)."""

    outcomes: list[RaiseOutcome]
    cleared: list[Alert]
    skipped: list[SkippedRule]


def rescore(rules: RuleSet, scope: Scope, *, as_of: date, graph: GraphStore, engine: Engine,
            actor: str, event_id: str, delinquency: DelinquencySource | None,
            scores: PartyScores | None, feed: AlertFeed | None,
            at: datetime | None = None) -> Rescored:
    """Raise and clear the alerts of ``scope`` as of ``as_of`` (see the module).

    Raises:
        RiskError, ConcurrentRun: as :func:`risk.alerts.lifecycle.raise_alerts` (nothing of
            the raising was stored).
        GraphError, BackendUnavailable: a store failed.
    """
    local = [rule for rule in rules.rules if not isinstance(rule, Concentration)]
    found = evaluate(local, as_of=as_of, graph=graph, engine=engine,
                     delinquency=delinquency, scores=scores, parties=scope.parties)
    drafts = [d for d in found.drafts if scope.covers(d.subject_kind, d.subject_id)]
    outcomes = raise_alerts(engine, drafts, actor=actor, at=at)
    if feed is not None:
        announce_outcomes(engine, feed, outcomes)
    still = {draft.key for draft in drafts}
    cleared = _clear(engine, scope, evaluated=found.evaluated, still=still, as_of=as_of,
                     actor=actor, note=f"cleared by event {event_id}: the rule no longer "
                                       f"finds this as of {as_of.isoformat()}", at=at)
    if feed is not None:
        for alert in cleared:
            feed.publish(alert_change(alert, AlertAction.RESOLVED.value))
    return Rescored(outcomes=outcomes, cleared=cleared, skipped=found.skipped)


def live_alerts_in(engine: Engine, scope: Scope) -> list[Alert]:
    """The alerts not resolved whose subject is a party or a loan of ``scope``."""
    subjects = [(SubjectKind.PARTY.value, p) for p in sorted(scope.parties)] + \
        [(SubjectKind.LOAN.value, loan) for loan in sorted(scope.loans)]
    found: list[Alert] = []
    with Session(engine, expire_on_commit=False) as session:
        for start in range(0, len(subjects), _IDS_PER_QUERY):
            chunk = subjects[start:start + _IDS_PER_QUERY]
            by_kind: dict[str, list[str]] = {}
            for kind, subject_id in chunk:
                by_kind.setdefault(kind, []).append(subject_id)
            found.extend(session.exec(select(Alert).where(
                col(Alert.status) != AlertStatus.RESOLVED.value,
                or_(*(and_(col(Alert.subject_kind) == kind, col(Alert.subject_id).in_(ids))
                      for kind, ids in by_kind.items())))).all())
    return sorted(found, key=lambda a: a.id or 0)


def _clear(engine: Engine, scope: Scope, *, evaluated: Sequence[str], still: set[str],
           as_of: date, actor: str, note: str, at: datetime | None) -> list[Alert]:
    rules = set(evaluated)
    stale = [a for a in live_alerts_in(engine, scope)
             if a.rule_id in rules and a.dedupe_key not in still and a.as_of <= as_of]
    if not stale:
        return []
    cleared: list[Alert] = []
    with Session(engine, expire_on_commit=False) as session, session.begin():
        for alert in stale:
            assert alert.id is not None
            try:
                cleared.append(move_in(session, alert.id, AlertStatus.RESOLVED,
                                       AlertAction.RESOLVED, actor=actor, note=note, at=at))
            except InvalidTransition:
                continue  # a person resolved it since it was read: it is cleared already
    return cleared
