"""Approximate betweenness centrality on sparse matrices: Brandes' algorithm from sampled
sources, many sources at once.

Brandes (2001) counts, from each source, the shortest paths to every party (a breadth-first
search) and then accumulates each party's dependency from the farthest level back. Here one
search runs for a batch of sources together: the frontier is an ``n × b`` dense array and
each level is one sparse product ``A @ frontier``; the accumulation walks the levels back
with one product each. No Python loop over parties or edges; the work is
``levels × nnz × b`` multiply-adds per batch, in scipy's C loops.

Each source only reaches its own connected component, so sources are grouped by component
and each group searches the component's submatrix alone: a source in a small component
costs its component, not the portfolio. Components of fewer than three parties have no
betweenness and are skipped.

The result is networkx's ``betweenness_centrality(G, k, normalized=False)`` rescaling of
networkx 3.6 (unordered pairs; sampled sources and the other parties rescaled apart, as
networkx does), divided by ``(n-1)(n-2)/2`` over *all* ``n`` parties. Exact (equal to
networkx within float rounding) when the sample covers every linked party. Sources are
drawn with ``numpy.random.default_rng(seed)``: the same sample on every run, not the one
networkx would draw.

Memory: about six ``component × batch`` float arrays at a time (the batch is
:data:`SOURCE_BATCH`).
"""

from __future__ import annotations

from typing import Final

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from risk.network.features.parameters import FeatureParameters

__all__ = ["SOURCE_BATCH", "betweenness"]

#: Sources searched together (the columns of the dense frontier).
SOURCE_BATCH: Final = 16


def betweenness(adjacency: sp.csr_matrix, active: np.ndarray,
                params: FeatureParameters) -> np.ndarray:
    """Approximate betweenness of every party from ``params.betweenness_k`` sources sampled
    among the ``active`` parties (those with risk links), normalised over all parties.

    ``adjacency`` is the symmetric 0/1 risk graph. Returns a float64 array (0 for a party
    on no sampled shortest path).
    """
    n = adjacency.shape[0]
    result = np.zeros(n)
    m = len(active)
    if m < 3 or n < 3:
        return result
    sub = sp.csr_matrix(adjacency[active][:, active], dtype=np.float64)
    k = min(params.betweenness_k, m)
    sampled = k < m
    sources = np.sort(np.random.default_rng(params.seed).choice(m, size=k, replace=False)) \
        if sampled else np.arange(m)
    _, labels = connected_components(sub, directed=False)
    by_label = np.argsort(labels, kind="stable")
    starts = np.searchsorted(labels[by_label], np.arange(labels.max() + 2))
    raw = np.zeros(m)
    source_labels = labels[sources]
    for label in np.unique(source_labels):
        members = by_label[starts[label]:starts[label + 1]]
        if len(members) < 3:
            continue
        component = sp.csr_matrix(sub[members][:, members])
        local = np.searchsorted(members, sources[source_labels == label])
        for at in range(0, len(local), SOURCE_BATCH):
            raw[members] += _dependencies(component, local[at:at + SOURCE_BATCH])
    # networkx 3.6's rescaling of unnormalised betweenness, endpoints excluded.
    pairs = m - 1
    if not sampled:
        raw *= 0.5
    else:
        is_source = np.zeros(m, dtype=bool)
        is_source[sources] = True
        source_scale = pairs / ((k - 1) * 2.0) if k > 1 else 0.0
        raw *= np.where(is_source, source_scale, pairs / (k * 2.0))
    result[active] = raw / ((n - 1) * (n - 2) / 2.0)
    return result


def _dependencies(adjacency: sp.csr_matrix, sources: np.ndarray) -> np.ndarray:
    """Brandes' dependencies summed over ``sources`` (indices into ``adjacency``)."""
    size, width = adjacency.shape[0], len(sources)
    columns = np.arange(width)
    sigma = np.zeros((size, width))
    sigma[sources, columns] = 1.0
    depth = np.full((size, width), -1, dtype=np.int32)
    depth[sources, columns] = 0
    frontier = sigma.copy()
    level = 0
    while True:  # one breadth-first level for every source of the batch at once
        reached = adjacency @ frontier
        new = (reached > 0) & (depth < 0)
        if not new.any():
            break
        level += 1
        depth[new] = level
        sigma[new] = reached[new]
        frontier = np.where(new, reached, 0.0)
    delta = np.zeros((size, width))
    for at in range(level, 0, -1):  # farthest level first
        here = depth == at
        share = np.where(here, (1.0 + delta) / np.where(here, sigma, 1.0), 0.0)
        delta += np.where(depth == at - 1, sigma * (adjacency @ share), 0.0)
    delta[sources, columns] = 0.0  # a source is on none of its own paths
    return delta.sum(axis=1)
