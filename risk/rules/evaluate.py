"""Evaluate a set of rules as of a date: the alerts they raise, and the rules they could not run.

Everything is read as of the date: bureau snapshots, events, monthly transfers and loans
dated after it are ignored, so that adding later data changes nothing about an earlier date.
A rule that cannot run is never dropped silently: it is listed in
:attr:`Evaluation.skipped` with the reason (disabled; no PD scores, which need a
production PD model; needs the delinquency source).

The rules read the graph as arrays through one :class:`risk.rules.inputs.RuleInputs` per
evaluation: a scan passes the one it filled with what its earlier phases read (the
projection, the ownership edges, the circles and groups); a standalone run passes none and
each part is read on first use. The rules run the same code either way.
"""

from __future__ import annotations

import time
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import Engine

from graph.store import GraphStore
from risk.alerts.lifecycle import AlertDraft
from risk.models.scores import PartyScores
from risk.rules.context import EvaluationContext
from risk.rules.delinquency import DelinquencySource
from risk.rules.inputs import RuleInputs
from risk.rules.schema import (
    MODEL_SIGNALS,
    BureauScoreDrop,
    Concentration,
    DaysPastDue,
    ExternalEvent,
    GuarantorOverextended,
    InflowDrop,
    MissedInstallments,
    PdRise,
    PdThreshold,
    RelatedDefault,
    Rule,
)
from risk.rules.signals.bureau import evaluate_bureau_score_drop
from risk.rules.signals.concentration import evaluate_concentration
from risk.rules.signals.events import evaluate_external_event
from risk.rules.signals.guarantors import evaluate_guarantor_overextended
from risk.rules.signals.inflow import evaluate_inflow_drop
from risk.rules.signals.overdue import evaluate_days_past_due, evaluate_missed_installments
from risk.rules.signals.pd import evaluate_pd_rise, evaluate_pd_threshold
from risk.rules.signals.related import evaluate_related_default

__all__ = ["NO_PD_MODEL", "Evaluation", "SkippedRule", "evaluate"]

NO_PD_MODEL = ("no PD scores: no production PD model was promoted (`loanwatch model fit "
               "--promote` trains one on the portfolio): PD rules are validated but not "
               "evaluated")
NO_DELINQUENCY = ("no delinquency source was given (risk.classification.delinquency): "
                  "days past due, missed installments and defaults are unknown")


@dataclass(frozen=True, slots=True)
class SkippedRule:
    rule_id: str
    signal: str
    reason: str


@dataclass(frozen=True, slots=True)
class Evaluation:
    """What the rules found on ``as_of``: drafts to raise, rules skipped, and notes per rule
    on data they could not judge."""

    as_of: date
    drafts: list[AlertDraft] = field(default_factory=list)
    skipped: list[SkippedRule] = field(default_factory=list)
    notes: dict[str, list[str]] = field(default_factory=dict)
    evaluated: list[str] = field(default_factory=list)
    #: Wall-clock seconds per evaluated rule (the first rule to need a read pays for it).
    seconds: dict[str, float] = field(default_factory=dict)


def evaluate(rules: Sequence[Rule], *, as_of: date, graph: GraphStore, engine: Engine,
             delinquency: DelinquencySource | None = None,
             inputs: RuleInputs | None = None,
             scores: PartyScores | None = None,
             parties: Collection[str] | None = None) -> Evaluation:
    """Run every enabled rule of ``rules`` on the portfolio as it stood on ``as_of``.

    ``inputs``: what the caller already read of ``graph`` (a scan); by default everything
    is read from ``graph`` as the rules need it. ``scores``: the PD of every borrower by the
    production model (:func:`risk.models.scoring.score_portfolio`); without them the PD rules
    are skipped. ``parties``: the parties whose own records (bureau snapshots) are read,
    where the caller keeps only their alerts (an event's scope); by default everyone's.
    """
    if inputs is not None and inputs.graph is not graph:
        raise ValueError("inputs must be read from the graph the rules evaluate")
    ctx = EvaluationContext(as_of=as_of, graph=graph, engine=engine,
                            inputs=inputs or RuleInputs(graph), delinquency=delinquency,
                            scores=scores,
                            parties=None if parties is None else frozenset(parties))
    result = Evaluation(as_of=as_of, notes=ctx.notes)
    for rule in rules:
        reason = _skip_reason(rule, delinquency, scores)
        if reason is not None:
            result.skipped.append(SkippedRule(rule.id, rule.signal, reason))
            continue
        started = time.perf_counter()
        result.drafts.extend(_run(rule, ctx, delinquency))
        result.seconds[rule.id] = round(time.perf_counter() - started, 3)
        result.evaluated.append(rule.id)
    return result


def _skip_reason(rule: Rule, delinquency: DelinquencySource | None,
                 scores: PartyScores | None) -> str | None:
    if not rule.enabled:
        return "disabled in the rules file"
    if rule.signal in MODEL_SIGNALS and scores is None:
        return NO_PD_MODEL
    if isinstance(rule, DaysPastDue | MissedInstallments | RelatedDefault) \
            and delinquency is None:
        return NO_DELINQUENCY
    return None


def _run(rule: Rule, ctx: EvaluationContext,
         delinquency: DelinquencySource | None) -> list[AlertDraft]:
    match rule:
        case BureauScoreDrop():
            return evaluate_bureau_score_drop(rule, ctx)
        case ExternalEvent():
            return evaluate_external_event(rule, ctx)
        case InflowDrop():
            return evaluate_inflow_drop(rule, ctx)
        case GuarantorOverextended():
            return evaluate_guarantor_overextended(rule, ctx)
        case Concentration():
            return evaluate_concentration(rule, ctx)
        case PdThreshold():
            assert ctx.scores is not None  # _skip_reason guarantees it
            return evaluate_pd_threshold(rule, ctx, ctx.scores)
        case PdRise():
            assert ctx.scores is not None
            return evaluate_pd_rise(rule, ctx, ctx.scores)
    assert delinquency is not None  # _skip_reason guarantees it for the rest
    match rule:
        case DaysPastDue():
            return evaluate_days_past_due(rule, ctx, delinquency)
        case MissedInstallments():
            return evaluate_missed_installments(rule, ctx, delinquency)
        case RelatedDefault():
            return evaluate_related_default(rule, ctx, delinquency)
    raise AssertionError(f"no evaluator for signal {rule.signal!r}")
