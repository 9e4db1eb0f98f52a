"""Louvain communities on the parties with at least one risk link.

igraph's multilevel algorithm (Blondel et al. 2008, in C) rather than networkx's pure-Python
``louvain_communities``: on the 100,000-borrower portfolio's risk graph it took 0.32 s of CPU
against networkx's 5.5 s, with the same modularity (0.871 and 0.871), and its time grows
with the links, so the phase stays linear at a million. Seeded: igraph draws from the
generator it is given, here a ``random.Random(seed)`` set for the call and restored after,
so a run repeats exactly. (Betweenness: :mod:`risk.network.features.betweenness`.)

Per component: no community crosses a connected component, so a component of at least
``louvain_alone_from`` linked parties (10,000) is partitioned on its own and the smaller
ones together. Measured on the 1,000,000-borrower portfolio, igraph took 5.5 s on the giant
component (258 k parties) and 0.2 s on all the others, but 12.6 s on everything at once;
and the distributed scan partitions by component anyway. Modularity's null model is then
the component's (or the small ones') own edge count, not the portfolio's: the same
resolution on a smaller graph.
"""

from __future__ import annotations

import random

import igraph
import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from risk.network.features.parameters import FeatureParameters

__all__ = ["louvain"]


def louvain(adjacency: sp.csr_matrix, active: np.ndarray,
            params: FeatureParameters) -> np.ndarray:
    """Community per party: Louvain on the ``active`` parties (those with risk links),
    numbered largest first (ties by smallest member); each other party a community of its
    own, numbered after them. Returns an int32 array over all parties.

    O(links) per pass of the multilevel algorithm; a handful of passes in practice.
    """
    n = adjacency.shape[0]
    community = np.full(n, -1, dtype=np.int32)
    count = 0
    if len(active):
        sub = sp.csr_matrix(adjacency[active][:, active])
        _, labels = connected_components(sub, directed=False)
        alone = np.flatnonzero(np.bincount(labels) >= params.louvain_alone_from)
        parts = [np.flatnonzero(labels == label) for label in alone]
        parts.append(np.flatnonzero(~np.isin(labels, alone)))
        membership = np.empty(len(active), dtype=np.int64)
        for members in parts:
            if len(members):
                found = _multilevel(sp.csr_matrix(sub[members][:, members]), params)
                membership[members] = found + count
                count += int(found.max()) + 1
        sizes = np.bincount(membership, minlength=count)
        smallest = np.full(count, n, dtype=np.int64)
        np.minimum.at(smallest, membership, active)
        rank = np.empty(count, dtype=np.int32)
        rank[np.lexsort((smallest, -sizes))] = np.arange(count, dtype=np.int32)
        community[active] = rank[membership]
    unlinked = np.flatnonzero(community < 0)
    community[unlinked] = count + np.arange(len(unlinked), dtype=np.int32)
    return community


def _multilevel(adjacency: sp.csr_matrix, params: FeatureParameters) -> np.ndarray:
    """igraph's multilevel communities of one symmetric 0/1 graph, seeded: a label per node."""
    upper = sp.triu(adjacency, k=1).tocoo()
    graph = igraph.Graph(n=adjacency.shape[0],
                         edges=np.column_stack([upper.row, upper.col]).tolist())
    igraph.set_random_number_generator(random.Random(params.seed))
    try:
        found = graph.community_multilevel(resolution=params.louvain_resolution)
    finally:
        igraph.set_random_number_generator(random)
    return np.asarray(found.membership, dtype=np.int64)
