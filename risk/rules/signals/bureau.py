"""``bureau_score_drop``: a party's bureau score fell by ``points`` within ``within_days``.

Reads the ``bureau_snapshot`` records dated in ``as_of - within_days .. as_of``: for each
party, the latest snapshot in that window against the highest score before it in the same
window. Snapshots after the as-of date are never read.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Final

import numpy as np
from sqlalchemy import select

from portfolio.alerts import SubjectKind
from portfolio.bureau import BureauSnapshot
from risk.alerts.lifecycle import AlertDraft
from risk.rules.context import EvaluationContext
from risk.rules.evidence import Evidence
from risk.rules.schema import BureauScoreDrop

__all__ = ["evaluate_bureau_score_drop"]

_snapshot = BureauSnapshot.__table__  # type: ignore[attr-defined]
_PARTIES_PER_QUERY: Final = 1_000


def evaluate_bureau_score_drop(rule: BureauScoreDrop, ctx: EvaluationContext) -> list[AlertDraft]:
    """One alert per party whose score dropped by at least ``rule.points``.

    One query for the window's snapshots, then grouped numpy passes (no loop over parties):
    rows sorted by party, date and id; the last row of each party is its latest score, the
    peak is the highest score among the rows before it (the latest of equal peaks).
    """
    start = ctx.as_of - timedelta(days=rule.within_days)
    query = (select(_snapshot.c.party_id, _snapshot.c.as_of, _snapshot.c.score)
             .where(_snapshot.c.as_of >= start, _snapshot.c.as_of <= ctx.as_of)
             .order_by(_snapshot.c.party_id, _snapshot.c.as_of, _snapshot.c.id))
    with ctx.engine.connect() as connection:
        if ctx.parties is None:
            rows = connection.execute(query).fetchall()
        else:  # by chunks of ascending ids: the rows stay in party order
            wanted = sorted(ctx.parties)
            rows = [row for at in range(0, len(wanted), _PARTIES_PER_QUERY)
                    for row in connection.execute(query.where(_snapshot.c.party_id.in_(
                        wanted[at:at + _PARTIES_PER_QUERY]))).fetchall()]
    if not rows:
        return []
    party = np.empty(len(rows), dtype=object)
    party[:] = [row[0] for row in rows]
    on = np.array([row[1] for row in rows], dtype="datetime64[D]")
    score = np.array([row[2] for row in rows], dtype=np.int64)
    first = np.ones(len(rows), dtype=bool)
    first[1:] = party[1:] != party[:-1]
    group = np.cumsum(first) - 1
    starts = np.flatnonzero(first)
    latest = np.append(starts[1:], len(rows)) - 1
    # The peak before the latest: among the other rows of the party, the greatest
    # (score, date); rows are in date order, so the last row with the top score wins.
    before = np.ones(len(rows), dtype=bool)
    before[latest] = False
    best = np.full(len(starts), np.iinfo(np.int64).min, dtype=np.int64)
    np.maximum.at(best, group[before], score[before])
    tops = before & (score == best[group])
    peak = np.full(len(starts), -1, dtype=np.int64)
    np.maximum.at(peak, group[tops], np.flatnonzero(tops))
    several = peak >= 0
    drop = np.where(several, score[np.maximum(peak, 0)] - score[latest], 0)
    hit = np.flatnonzero(several & (drop >= rule.points))
    hit = hit[np.argsort(party[latest[hit]], kind="stable")]
    labels = ctx.labels(party[latest[hit]].tolist())
    drafts = []
    for g in hit.tolist():
        party_id, p, last = str(party[latest[g]]), int(peak[g]), int(latest[g])
        figures = {
            "signal": rule.signal, "score_from": int(score[p]), "on_from": str(on[p]),
            "score_to": int(score[last]), "on_to": str(on[last]), "drop": int(drop[g]),
            "points": rule.points, "within_days": rule.within_days}
        drafts.append(ctx.draft(rule, SubjectKind.PARTY, party_id, [figures],
                                Evidence().node(party_id, labels[party_id])))
    return drafts
