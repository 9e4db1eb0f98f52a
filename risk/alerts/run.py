"""One early-warning run: evaluate the rules as of a date and store what they raise.

Evaluation only reads; the alerts are then written in one transaction, so a run that fails
half-way stores nothing. The result says, per alert, whether it was raised, updated,
escalated, left unchanged or held back by a cool-down, and which rules were skipped and why.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Engine

from graph.store import GraphStore
from risk.alerts.lifecycle import RaiseOutcome, raise_alerts
from risk.rules.delinquency import DelinquencySource
from risk.rules.evaluate import SkippedRule, evaluate
from risk.rules.loader import RuleSet

__all__ = ["RunResult", "run_rules"]


@dataclass(frozen=True, slots=True)
class RunResult:
    as_of: date
    rules_file: str
    outcomes: list[RaiseOutcome]
    skipped: list[SkippedRule]
    notes: dict[str, list[str]]
    evaluated: list[str]

    def count(self, outcome: str) -> int:
        return sum(1 for found in self.outcomes if found.outcome == outcome)


def run_rules(rules: RuleSet, *, as_of: date, graph: GraphStore, engine: Engine, actor: str,
              delinquency: DelinquencySource | None = None,
              at: datetime | None = None) -> RunResult:
    """Evaluate ``rules`` on ``as_of`` and raise their alerts as ``actor``.

    Raises:
        RiskError: ``actor`` is not a usable name.
        GraphError, BackendUnavailable: a store failed (nothing is stored).
    """
    found = evaluate(rules.rules, as_of=as_of, graph=graph, engine=engine,
                     delinquency=delinquency)
    outcomes = raise_alerts(engine, found.drafts, actor=actor, at=at)
    return RunResult(as_of=as_of, rules_file=rules.file, outcomes=outcomes,
                     skipped=found.skipped, notes=found.notes, evaluated=found.evaluated)
