"""``pd_threshold`` and ``pd_rise``: the production PD model's view of a borrower.

Both read the scores the caller hands in (:class:`risk.models.scores.PartyScores`: the scan's
scoring phase, or ``loanwatch alerts run`` scoring with the production model), one alert per
borrower (the PD is the borrower's: a borrower with three loans gets one alert, not three).

* ``pd_threshold``: the PD is at least ``threshold``. Borrowers already in default (PD 1 by
  definition) are left to the delinquency rules, which say more about them.
* ``pd_rise``: the PD now is at least ``points`` above the lowest PD the scans dated in the
  ``within_days`` before the as-of date stored for the borrower (a rise from any point of
  the window, whichever model stored it); a borrower without an earlier score is not judged.

The figures carry the PD, the model that produced it and its reason codes, so the alert says
why as well as how much.
"""

from __future__ import annotations

from datetime import timedelta

import numpy as np

from portfolio.alerts import SubjectKind
from risk.alerts.lifecycle import AlertDraft
from risk.models.scores import PartyScores
from risk.rules.context import EvaluationContext
from risk.rules.evidence import Evidence
from risk.rules.schema import PdRise, PdThreshold
from risk.scan_results import lowest_scores_between

__all__ = ["evaluate_pd_rise", "evaluate_pd_threshold"]


def _reasons(scores: PartyScores, row: int) -> list[str]:
    return [str(r["text"]) for r in scores.reasons[row]]


def _drafts(rule: PdThreshold | PdRise, ctx: EvaluationContext, scores: PartyScores,
            rows: np.ndarray, extra: dict[int, dict[str, object]]) -> list[AlertDraft]:
    ids = scores.party_ids[rows].tolist()
    labels = ctx.labels(ids)
    drafts = []
    for row, party_id in zip(rows.tolist(), ids, strict=True):
        figures = {"signal": rule.signal, "pd": round(float(scores.pd[row]), 6),
                   "model": scores.model_id, "reasons": _reasons(scores, row),
                   **extra.get(row, {})}
        drafts.append(ctx.draft(rule, SubjectKind.PARTY, party_id, [figures],
                                Evidence().node(party_id, labels[party_id])))
    return drafts


def evaluate_pd_threshold(rule: PdThreshold, ctx: EvaluationContext,
                          scores: PartyScores) -> list[AlertDraft]:
    """One alert per performing borrower whose PD is at least ``rule.threshold``."""
    rows = np.flatnonzero((scores.pd >= rule.threshold) & ~scores.in_default)
    extra: dict[int, dict[str, object]] = {r: {"threshold": rule.threshold}
                                           for r in rows.tolist()}
    return _drafts(rule, ctx, scores, rows, extra)


def evaluate_pd_rise(rule: PdRise, ctx: EvaluationContext,
                     scores: PartyScores) -> list[AlertDraft]:
    """One alert per borrower whose PD rose by at least ``rule.points`` within the window."""
    start = ctx.as_of - timedelta(days=rule.within_days)
    floor, dates = lowest_scores_between(ctx.engine, start, ctx.as_of)
    if not dates:
        ctx.note(rule, f"no scan with PD scores between {start.isoformat()} and "
                       f"{ctx.as_of.isoformat()}: no earlier PD to compare with")
        return []
    # A rise of `points` needs a PD now of at least `points`: look only at those.
    candidates = np.flatnonzero((scores.pd >= rule.points) & ~scores.in_default)
    before = np.array([floor.get(p, np.nan) for p in scores.party_ids[candidates].tolist()],
                      dtype=np.float64)
    rise = scores.pd[candidates] - before
    hit = np.flatnonzero(~np.isnan(before) & (rise >= rule.points - 1e-12))
    rows = candidates[hit]
    extra: dict[int, dict[str, object]] = {
        int(r): {"pd_from": round(float(b), 6), "rise": round(float(d), 6),
                 "points": rule.points, "within_days": rule.within_days,
                 "compared_with": [d_.isoformat() for d_ in dates]}
        for r, b, d in zip(rows.tolist(), before[hit].tolist(), rise[hit].tolist(),
                           strict=True)}
    return _drafts(rule, ctx, scores, rows, extra)
