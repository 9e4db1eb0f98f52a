"""The whole-portfolio pass of the graph features: :func:`party_features`, phase by phase
(:data:`PHASES`), from the projection, the links in force and the repayment history."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from datetime import date
from typing import Final

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import dijkstra

from graph.store import GraphStore
from risk.classification.history import RepaymentHistory
from risk.network.features.betweenness import betweenness
from risk.network.features.centrality import louvain
from risk.network.features.links import live_loans, read_links
from risk.network.features.parameters import FeatureParameters
from risk.network.features.result import PartyFeatures
from risk.network.features.risk_graph import risk_graph
from risk.network.features.sparse import lookup, neighbour_share, pagerank, reach
from risk.projection import PortfolioProjection, project_portfolio

__all__ = ["PHASES", "PhaseHook", "party_features"]

#: A phase hook: called with a phase name, returns a context manager around the phase
#: (the benchmark times and measures each; the default does nothing).
PhaseHook = Callable[[str], AbstractContextManager[object]]
#: The phases, in order.
PHASES: Final = ("read graph", "risk graph", "exposure within k", "delinquency",
                 "distance to default", "louvain", "pagerank", "betweenness")


def _no_phase(_name: str) -> AbstractContextManager[object]:
    return nullcontext()


def party_features(store: GraphStore, history: RepaymentHistory | None, *,
                   as_of: date | None = None,
                   params: FeatureParameters = FeatureParameters(),
                   projection: PortfolioProjection | None = None,
                   phase: PhaseHook = _no_phase) -> PartyFeatures:
    """The graph features of every party of ``store`` (see :mod:`risk.network.features`).

    ``history`` answers delinquency as of ``as_of`` (today when ``as_of`` is None); with no
    history, no party is delinquent or defaulted. ``projection`` may be passed when the
    caller has read it already. ``phase`` wraps each of :data:`PHASES`.

    Raises:
        InvalidFeatureParameters: a parameter out of range.
    """
    params.check()
    with phase("read graph"):
        projection = project_portfolio(store) if projection is None else projection
        links = read_links(store, as_of)
        live = live_loans(projection, as_of)
    with phase("risk graph"):
        graph = risk_graph(projection, links, live, params)
    n = graph.n
    with phase("exposure within k"):
        currencies = projection.currencies
        known = live & (projection.loan_currency >= 0)
        by_currency = sp.csr_matrix(
            (projection.loan_principal_minor[known],
             (np.flatnonzero(known), projection.loan_currency[known].astype(np.int64))),
            shape=(projection.n_loans, len(currencies)), dtype=np.int64)
        exposure_own = np.asarray((graph.borrows.astype(np.int64) @ by_currency).todense(),
                                  dtype=np.int64).reshape(n, len(currencies))
        within = reach(graph.adjacency, params.hops)
        exposure_k = np.asarray(within.astype(np.int64) @ exposure_own,
                                dtype=np.int64).reshape(n, len(currencies))
        del within
    adjacency = graph.adjacency
    degree = graph.degrees[:, -1].astype(np.float64)
    with phase("delinquency"):
        delinquent = np.zeros(n, dtype=bool)
        defaulted = np.zeros(n, dtype=bool)
        if history is not None and n:
            day = as_of or date.today()
            late = projection.loan_index(sorted(history.days_past_due(day)))
            late_loans = np.zeros(projection.n_loans, dtype=np.int32)
            late_loans[late[late >= 0]] = 1
            delinquent = (graph.borrows @ late_loans) > 0
            gone = lookup(graph.party_ids, list(history.defaulted_parties(day)))
            defaulted[gone[gone >= 0]] = True
        delinquent_share = neighbour_share(adjacency, delinquent, degree)
        defaulted_share = neighbour_share(adjacency, defaulted, degree)
    with phase("distance to default"):
        if defaulted.any():
            distance = np.asarray(dijkstra(
                adjacency, directed=False, indices=np.flatnonzero(defaulted),
                unweighted=True, limit=params.distance_cap, min_only=True), dtype=np.float64)
        else:
            distance = np.full(n, np.inf)
    active = np.flatnonzero(degree > 0)
    with phase("louvain"):
        community = louvain(adjacency, active, params)
    with phase("pagerank"):
        rank = pagerank(adjacency, params)
    with phase("betweenness"):
        between = betweenness(adjacency, active, params)
    return PartyFeatures(
        party_ids=graph.party_ids, currencies=currencies, as_of=as_of, hops=params.hops,
        degrees=graph.degrees, exposure_own=exposure_own, exposure_k=exposure_k,
        delinquent=delinquent, defaulted=defaulted, delinquent_share=delinquent_share,
        defaulted_share=defaulted_share, distance_to_default=distance, community=community,
        pagerank=rank, betweenness=between)

