"""The sparse-matrix pieces of the graph features: 0/1 CSR matrices, the reach within k
hops, PageRank by power iteration, the share of flagged neighbours.

Pure functions on scipy CSR matrices and numpy arrays, vectorised (no Python loop over
edges); each documents its cost.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp

from risk.network.features.parameters import FeatureParameters

__all__ = ["binary", "binary_rect", "lookup", "neighbour_share", "ones_matrix", "pagerank",
           "reach", "row_counts"]


def lookup(sorted_ids: np.ndarray, ids: Sequence[str]) -> np.ndarray:
    """The positions of ``ids`` in ``sorted_ids`` (int64), -1 where absent. O(m log n)."""
    wanted = np.asarray(list(ids), dtype=object)
    if not len(sorted_ids) or not len(wanted):
        return np.full(len(wanted), -1, dtype=np.int64)
    at = np.minimum(np.searchsorted(sorted_ids, wanted), len(sorted_ids) - 1)
    return np.where(sorted_ids[at] == wanted, at, -1).astype(np.int64)


def ones_matrix(rows: np.ndarray, cols: np.ndarray, shape: tuple[int, int]) -> sp.csr_matrix:
    """A 0/1 CSR matrix with an entry at each (row, col), duplicates merged."""
    m = sp.csr_matrix((np.ones(len(rows), dtype=np.int32), (rows, cols)), shape=shape)
    m.sum_duplicates()
    m.data[:] = 1
    return m


def binary(m: sp.spmatrix) -> sp.csr_matrix:
    """``m`` as a 0/1 int32 CSR matrix with sorted indices and no diagonal."""
    out = sp.csr_matrix(m, dtype=np.int32)
    out.setdiag(0)
    out.eliminate_zeros()
    out.data[:] = 1
    out.sort_indices()
    return out


def binary_rect(m: sp.spmatrix) -> sp.csr_matrix:
    """``m`` (any shape) as a 0/1 int32 CSR matrix."""
    out = sp.csr_matrix(m, dtype=np.int32)
    out.data[:] = 1
    return out


def row_counts(m: sp.csr_matrix) -> np.ndarray:
    """Stored entries per row (int32)."""
    return np.diff(m.indptr).astype(np.int32)


def reach(adjacency: sp.csr_matrix, hops: int) -> sp.csr_matrix:
    """0/1 matrix of the pairs within ``hops`` (at least one hop, the diagonal dropped)."""
    within = adjacency
    for _ in range(hops - 1):
        grown = within + within @ adjacency
        grown.data[:] = 1
        within = grown
    return binary(within)


def pagerank(adjacency: sp.csr_matrix, params: FeatureParameters) -> np.ndarray:
    """networkx's PageRank (uniform teleport and dangling), by power iteration on CSR."""
    n = adjacency.shape[0]
    if not n:
        return np.zeros(0)
    out = np.asarray(adjacency.sum(axis=1)).ravel().astype(np.float64)
    dangling = out == 0
    inverse = np.divide(1.0, out, out=np.zeros(n), where=~dangling)
    transition = sp.csr_matrix(sp.diags(inverse, dtype=np.float64) @ adjacency)
    rank = np.full(n, 1.0 / n)
    alpha = params.pagerank_alpha
    for _ in range(params.pagerank_max_iter):
        previous = rank
        rank = alpha * (transition.T @ previous) \
            + (alpha * previous[dangling].sum() + 1.0 - alpha) / n
        if np.abs(rank - previous).sum() < n * params.pagerank_tol:
            break
    return rank


def neighbour_share(adjacency: sp.csr_matrix, flag: np.ndarray,
                    degree: np.ndarray) -> np.ndarray:
    """The share of each row's neighbours whose ``flag`` is set; NaN without neighbours."""
    hits = adjacency @ flag.astype(np.float64)
    return np.divide(hits, degree, out=np.full(len(degree), np.nan), where=degree > 0)

