"""The scan's ``features`` phase: every party's graph features, stored under the run id.

It runs after the classification and reuses what earlier phases read: the portfolio
projection (``ctx.projection``) and the as-of book and delinquency of the classification
(``ctx.book``, ``ctx.delinquency``), so neither the guarantee graph nor the repayment history
is read twice. Only the links the projection does not hold (``OWNS``, ``DIRECTS``,
``RELATED``, ``USES``, ``HOLDS``, with their validity dates) and the loans' disbursement
dates are streamed, by :func:`risk.network.features.party_features` itself.

The public-identifier threshold is the rings' own (``ScanSettings.ring_public_above``), so a
bank branch's phone links nobody in the features as it makes no ring; the k of exposure
within k hops and the betweenness sample are ``feature_hops`` and
``feature_betweenness_k``, stored with the run's settings.

The rows go to ``scan_party_features`` and ``scan_party_exposure``
(:func:`risk.scan_store.store_features`) in one transaction of their own; until the run
succeeds no reader sees them (:func:`risk.scan_results.party_features`), and a failed run
deletes them with the rest of its rows.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from risk.classification.history import RepaymentHistory
from risk.errors import RiskError
from risk.network.features import FeatureParameters, party_features
from risk.scan_store import store_features

if TYPE_CHECKING:
    from risk.scan import ScanContext

__all__ = ["features_phase"]


def features_phase(ctx: ScanContext) -> None:
    """Compute the graph features of every party as of ``ctx.as_of`` and store them under
    ``ctx.run_id``; keep them on ``ctx.features`` for later phases; count them in the
    summary (with the wall and CPU seconds of computing and of storing apart: on a shared
    machine the CPU seconds are the steadier figure)."""
    if ctx.projection is None or ctx.run_id is None:
        raise RiskError("the features phase needs the projection phase and a run id")
    history = RepaymentHistory(ctx.engine) if ctx.book is None or ctx.delinquency is None \
        else RepaymentHistory.seeded(ctx.engine, ctx.as_of, ctx.book, ctx.delinquency)
    params = FeatureParameters(hops=ctx.settings.feature_hops,
                               public_above=ctx.settings.ring_public_above,
                               betweenness_k=ctx.settings.feature_betweenness_k)
    started, started_cpu = time.perf_counter(), time.process_time()
    result = party_features(ctx.graph, history, as_of=ctx.as_of, params=params,
                            projection=ctx.projection)
    computed, computed_cpu = time.perf_counter(), time.process_time()
    rows = store_features(ctx.engine, ctx.run_id, result)
    ctx.features = result
    ctx.summary["features"] = {
        "parties": result.n_parties, "hops": params.hops,
        "delinquent": int(result.delinquent.sum()), "defaulted": int(result.defaulted.sum()),
        "rows": rows, "compute_seconds": round(computed - started, 3),
        "store_seconds": round(time.perf_counter() - computed, 3),
        "compute_cpu_seconds": round(computed_cpu - started_cpu, 3),
        "store_cpu_seconds": round(time.process_time() - computed_cpu, 3)}
