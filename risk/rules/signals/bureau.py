"""``bureau_score_drop``: a party's bureau score fell by ``points`` within ``within_days``.

Reads the ``bureau_snapshot`` records dated in ``as_of - within_days .. as_of``: for each
party, the latest snapshot in that window against the highest score before it in the same
window. Snapshots after the as-of date are never read.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta

from sqlmodel import Session, col, select

from graph.model import Label
from portfolio.alerts import SubjectKind
from portfolio.bureau import BureauSnapshot
from risk.alerts.lifecycle import AlertDraft
from risk.rules.context import EvaluationContext
from risk.rules.evidence import Evidence
from risk.rules.schema import BureauScoreDrop

__all__ = ["evaluate_bureau_score_drop"]


def evaluate_bureau_score_drop(rule: BureauScoreDrop, ctx: EvaluationContext) -> list[AlertDraft]:
    """One alert per party whose score dropped by at least ``rule.points``."""
    start = ctx.as_of - timedelta(days=rule.within_days)
    query = (select(BureauSnapshot.party_id, BureauSnapshot.as_of, BureauSnapshot.score)
             .where(col(BureauSnapshot.as_of) >= start, col(BureauSnapshot.as_of) <= ctx.as_of)
             .order_by(col(BureauSnapshot.party_id), col(BureauSnapshot.as_of),
                       col(BureauSnapshot.id)))
    series: dict[str, list[tuple[date, int]]] = defaultdict(list)
    with Session(ctx.engine) as session:
        for party_id, on, score in session.exec(query):
            series[party_id].append((on, score))
    drops: dict[str, dict[str, object]] = {}
    for party_id, points in series.items():
        if len(points) < 2:
            continue
        latest_on, latest = points[-1]
        peak_on, peak = max(points[:-1], key=lambda point: (point[1], point[0]))
        if peak - latest >= rule.points:
            drops[party_id] = {
                "signal": rule.signal, "score_from": peak, "on_from": peak_on.isoformat(),
                "score_to": latest, "on_to": latest_on.isoformat(), "drop": peak - latest,
                "points": rule.points, "within_days": rule.within_days}
    labels = ctx.graph.labels_of(list(drops))
    return [
        ctx.draft(rule, SubjectKind.PARTY, party_id, [figures],
                  Evidence().node(party_id, _label(labels.get(party_id))))
        for party_id, figures in sorted(drops.items())
    ]


def _label(label: Label | None) -> str:
    # A snapshot may name a party the graph does not hold (imported separately).
    return "Unknown" if label is None else label.value
