"""The graph feature networkx computes: Louvain communities on the parties with at least one
risk link (betweenness: :mod:`risk.network.features.betweenness`, on sparse matrices).

networkx was kept: it is the library the project already depends on, and the measured cost
(``benchmarks/features.py``) is seconds at 100k borrowers; igraph/rustworkx were not
measured. It is seeded (:attr:`FeatureParameters.seed`), so a run repeats exactly.
"""

from __future__ import annotations

import networkx as nx
import numpy as np
import scipy.sparse as sp

from risk.network.features.parameters import FeatureParameters

__all__ = ["louvain"]


def louvain(adjacency: sp.csr_matrix, active: np.ndarray,
             params: FeatureParameters) -> np.ndarray:
    """Community per party: Louvain on the parties with risk links, numbered largest first
    (ties by smallest member); each other party a community of its own."""
    n = adjacency.shape[0]
    groups: list[list[int]] = []
    if len(active):
        graph = nx.from_scipy_sparse_array(adjacency[active][:, active])
        found = nx.community.louvain_communities(
            graph, resolution=params.louvain_resolution, seed=params.seed)
        groups = [sorted(int(active[v]) for v in members) for members in found]
    groups.sort(key=lambda g: (-len(g), g[0]))
    community = np.full(n, -1, dtype=np.int32)
    for label, members in enumerate(groups):
        community[members] = label
    alone = np.flatnonzero(community < 0)
    community[alone] = len(groups) + np.arange(len(alone), dtype=np.int32)
    return community
