"""One early-warning run: evaluate the rules as of a date and store what they raise.

Evaluation only reads; the alerts are then written in one transaction, so a run that fails
half-way stores nothing. The result says, per alert, whether it was raised, updated,
escalated, left unchanged or held back by a cool-down, and which rules were skipped and why.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Engine, func
from sqlmodel import Session, select

from graph.store import GraphStore
from portfolio.loans import Loan
from risk.alerts.commands import announce_outcomes
from risk.alerts.feed import AlertFeed
from risk.alerts.lifecycle import RaiseOutcome, raise_alerts
from risk.errors import NoDataAsOf
from risk.models.scores import PartyScores
from risk.rules.delinquency import DelinquencySource
from risk.rules.evaluate import SkippedRule, evaluate
from risk.rules.loader import RuleSet

__all__ = ["RunResult", "check_data_on", "run_rules"]


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
              at: datetime | None = None, scores: PartyScores | None = None,
              feed: AlertFeed | None = None) -> RunResult:
    """Evaluate ``rules`` on ``as_of`` and raise their alerts as ``actor``; ``scores``: the
    borrowers' PD for the PD rules (:func:`risk.models.scoring.production_scores`); the
    alerts raised, updated or escalated are announced on ``feed`` once stored.

    Raises:
        NoDataAsOf: the portfolio holds no loan, or none disbursed on or before ``as_of``.
        RiskError: ``actor`` is not a usable name.
        GraphError, BackendUnavailable: a store failed (nothing is stored).
    """
    check_data_on(engine, as_of)
    found = evaluate(rules.rules, as_of=as_of, graph=graph, engine=engine,
                     delinquency=delinquency, scores=scores)
    outcomes = raise_alerts(engine, found.drafts, actor=actor, at=at)
    if feed is not None:
        announce_outcomes(engine, feed, outcomes)
    return RunResult(as_of=as_of, rules_file=rules.file, outcomes=outcomes,
                     skipped=found.skipped, notes=found.notes, evaluated=found.evaluated)


def check_data_on(engine: Engine, as_of: date) -> None:
    """Refuse an as-of date before any data: its run would find nothing and say nothing.

    Raises:
        NoDataAsOf: no loan is stored, or the first was disbursed after ``as_of``.
    """
    with Session(engine) as session:
        first = session.exec(select(func.min(Loan.disbursed_on))).one()
    if first is None:
        raise NoDataAsOf("the portfolio holds no loans: nothing to watch",
                         suggestion="import a portfolio first (`loanwatch import` or "
                                    "`loanwatch demo`)")
    if as_of < first:
        raise NoDataAsOf(f"as-of date {as_of} is before any data: the first loan was "
                         f"disbursed on {first}",
                         suggestion=f"give --as-of {first} or later")
