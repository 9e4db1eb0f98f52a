"""The scan's ``scoring`` phase: every borrower's PD and reason codes by the production
model, stored under the run id with the model id, and the drift of the scored population.

Without a production model (none promoted yet) the phase stores nothing and says so in the
run's summary; the PD rules are then skipped with the same reason. The scores stay on
``ctx.scores`` for the classification (the PD now of IFRS 9) and the rules.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from risk.models.registry import production_model
from risk.models.scoring import score_portfolio
from risk.rules.evaluate import NO_PD_MODEL
from risk.scan_store import store_scores

if TYPE_CHECKING:
    from risk.scan import ScanContext

__all__ = ["scoring_phase"]


def scoring_phase(ctx: ScanContext) -> None:
    """Score every borrower as of ``ctx.as_of`` with the production portfolio model."""
    registered = production_model(ctx.engine)
    if registered is None:
        ctx.summary["scores"] = {"model": None, "note": NO_PD_MODEL}
        return
    if ctx.run_id is None:
        raise RuntimeError("the scoring phase needs a run id")
    scored = score_portfolio(ctx.engine, ctx.graph, ctx.as_of, registered)
    scores = scored.scores
    store_scores(ctx.engine, ctx.run_id, scores)
    ctx.scores = scores
    live = scores.pd[~scores.in_default]
    ctx.summary["scores"] = {
        "model": registered.id, "kind": registered.kind, "borrowers": len(scores),
        "in_default": int(scores.in_default.sum()),
        "mean_pd": round(float(live.mean()), 6) if len(live) else None,
        "pd_over_20pct": int(np.count_nonzero(live >= 0.2)),
        "psi_score": scored.psi_score, "drifting_features": scored.drifting}
