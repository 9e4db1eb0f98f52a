"""``days_past_due`` and ``missed_installments``: a loan behind on its schedule.

The figures come from the :class:`risk.rules.delinquency.DelinquencySource` the caller
passes (the repayment history read as of the date); this module only applies the rule's
thresholds and draws the path borrower → BORROWS → loan, from the ``BORROWS`` edges of the
portfolio projection (:attr:`risk.rules.inputs.RuleInputs.projection`).
"""

from __future__ import annotations

import calendar
from collections.abc import Mapping
from datetime import date
from typing import Any

import numpy as np

from graph.model import RelType
from portfolio.alerts import SubjectKind
from risk.alerts.lifecycle import AlertDraft
from risk.rules.context import EvaluationContext
from risk.rules.delinquency import DelinquencySource
from risk.rules.evidence import Evidence
from risk.rules.schema import DaysPastDue, MissedInstallments

__all__ = ["evaluate_days_past_due", "evaluate_missed_installments", "months_earlier"]


def months_earlier(day: date, months: int) -> date:
    """``day`` moved back by ``months`` calendar months (the day clamped to the month)."""
    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


def evaluate_days_past_due(rule: DaysPastDue, ctx: EvaluationContext,
                           source: DelinquencySource) -> list[AlertDraft]:
    """One alert per loan at least ``rule.min_days`` past due."""
    found = {loan_id: {"signal": rule.signal, "days_past_due": days, "min_days": rule.min_days}
             for loan_id, days in source.days_past_due(ctx.as_of).items()
             if days >= rule.min_days}
    return _loan_drafts(rule, ctx, found)


def evaluate_missed_installments(rule: MissedInstallments, ctx: EvaluationContext,
                                 source: DelinquencySource) -> list[AlertDraft]:
    """One alert per loan with at least ``rule.count`` missed installments in the window."""
    since = months_earlier(ctx.as_of, rule.within_months)
    found = {loan_id: {"signal": rule.signal, "missed": count, "count": rule.count,
                       "since": since.isoformat(), "within_months": rule.within_months}
             for loan_id, count in source.missed_installments(ctx.as_of, since).items()
             if count >= rule.count}
    return _loan_drafts(rule, ctx, found)


def _loan_drafts(rule: DaysPastDue | MissedInstallments, ctx: EvaluationContext,
                 found: Mapping[str, dict[str, Any]]) -> list[AlertDraft]:
    if not found:
        return []
    projection = ctx.inputs.projection
    loans = sorted(found)
    at = projection.loan_index(loans)
    by_loan = ctx.inputs.loan_borrowers()
    borrowers: dict[str, list[str]] = {}
    for loan_id, j in zip(loans, at.tolist(), strict=True):
        rows = by_loan.indices[by_loan.indptr[j]:by_loan.indptr[j + 1]] if j >= 0 \
            else np.empty(0, dtype=np.int32)
        borrowers[loan_id] = projection.party_ids[rows].tolist()
    labels = ctx.labels({party for parties in borrowers.values() for party in parties})
    drafts = []
    for loan_id in loans:
        evidence = Evidence().node(loan_id, "Loan")
        for borrower in borrowers[loan_id]:
            evidence.node(borrower, labels[borrower]).edge(RelType.BORROWS.value, borrower,
                                                           loan_id)
        drafts.append(ctx.draft(rule, SubjectKind.LOAN, loan_id, [found[loan_id]], evidence))
    return drafts
