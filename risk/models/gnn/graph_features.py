"""Graph features of the nodes of a plain node/edge table, for a tabular model beside the GNN.

Given ``n`` nodes and typed, directed, weighted edges (parallel edges allowed, no
self-loops), per node:

* **degrees**: edges out and in, in total and per edge type (when there are several), and
  the same sums of weights when the edges are weighted; distinct neighbours (either
  direction); **two-hop walks**: walks ``i – j – k`` with ``k ≠ i`` over the undirected,
  unweighted graph (the sum of the neighbours' degrees less the walks back);
* **PageRank** (damping 0.85, uniform teleport, dangling mass spread uniformly) following
  the edges and against them, by power iteration;
* **neighbour means** of each numeric attribute (over the neighbours where it is known; NaN
  for a node without such neighbours);
* **neighbour labels**, from the *training* labels only: labelled and positive neighbours,
  their positive rate, the same two hops away (walks back to the node itself removed), and
  the positive rate along each edge type and direction when there are several. A node's own
  label never enters its own features (no self-loops; two-hop walks back are subtracted), so
  a model trained on them does not see the answer, and valid and test labels are never read.

Everything is a few sparse products (scipy CSR): time ``O((n + E) · columns)``, memory a
few CSR copies of the edges. No torch.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Final

import numpy as np
import pandas as pd
import scipy.sparse as sp

__all__ = [
    "DAMPING",
    "GRAPH_PREFIX",
    "PAGERANK_ITERATIONS",
    "label_features",
    "neighbour_means",
    "pagerank",
    "safe_name",
    "structural_features",
    "undirected",
]

#: Every graph feature column starts with it, so that none can clash with an attribute.
GRAPH_PREFIX: Final = "graph_"
DAMPING: Final = 0.85
PAGERANK_ITERATIONS: Final = 100
PAGERANK_TOLERANCE: Final = 1e-10


def safe_name(name: str) -> str:
    """``name`` with the characters gradient boosting refuses in a column name (quotes,
    commas, colons, brackets, braces, backslashes) and blanks made underscores."""
    return re.sub(r'[\s"\\,:\[\]{}]', "_", name)


def _prefixed(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.add_prefix(GRAPH_PREFIX)


def _matrix(n: int, rows: np.ndarray, cols: np.ndarray,
            values: np.ndarray | None = None) -> sp.csr_matrix:
    data = np.ones(len(rows)) if values is None else np.asarray(values, dtype=np.float64)
    matrix = sp.csr_matrix((data, (rows, cols)), shape=(n, n))
    matrix.sum_duplicates()
    return matrix


def undirected(n: int, source: np.ndarray, target: np.ndarray) -> sp.csr_matrix:
    """The undirected, unweighted adjacency (``float64`` 0/1 CSR, zero diagonal)."""
    both = _matrix(n, np.concatenate([source, target]), np.concatenate([target, source]))
    both.data[:] = 1.0
    both.setdiag(0)
    both.eliminate_zeros()
    return both


def pagerank(matrix: sp.csr_matrix, *, damping: float = DAMPING) -> np.ndarray:
    """PageRank of the directed graph ``matrix`` (entry ``(i, j)``: weight of ``i → j``),
    summing to 1."""
    n = matrix.shape[0]
    if n == 0:
        return np.zeros(0)
    out = np.asarray(matrix.sum(axis=1)).ravel()
    dangling = out == 0
    scale = np.divide(1.0, out, out=np.zeros(n), where=~dangling)
    transition = (sp.diags(scale) @ matrix).T.tocsr()
    rank = np.full(n, 1.0 / n)
    for _ in range(PAGERANK_ITERATIONS):
        spread = damping * (transition @ rank + rank[dangling].sum() / n)
        new = spread + (1.0 - damping) / n
        done = np.abs(new - rank).sum() < PAGERANK_TOLERANCE
        rank = new
        if done:
            break
    return rank / rank.sum()


def structural_features(n: int, source: np.ndarray, target: np.ndarray, kind: np.ndarray,
                        types: Sequence[str], weight: np.ndarray | None = None
                        ) -> pd.DataFrame:
    """Degrees, weighted degrees, distinct neighbours, two-hop walks and PageRank of each
    node (see the module docstring); ``weight=None`` for unweighted edges."""
    columns: dict[str, np.ndarray] = {}

    def count(index: np.ndarray, values: np.ndarray | None = None) -> np.ndarray:
        return np.bincount(index, weights=values, minlength=n).astype(np.float64)

    columns["degree_out"] = count(source)
    columns["degree_in"] = count(target)
    if weight is not None:
        columns["weight_out"] = count(source, weight)
        columns["weight_in"] = count(target, weight)
    if len(types) > 1:
        for k, name in enumerate(types):
            of_type = kind == k
            columns[f"degree_out_{safe_name(name)}"] = count(source[of_type])
            columns[f"degree_in_{safe_name(name)}"] = count(target[of_type])
            if weight is not None:
                columns[f"weight_out_{safe_name(name)}"] = count(source[of_type], weight[of_type])
                columns[f"weight_in_{safe_name(name)}"] = count(target[of_type], weight[of_type])
    adjacency = undirected(n, source, target)
    neighbours = np.diff(adjacency.indptr).astype(np.float64)
    columns["neighbours"] = neighbours
    columns["two_hop_walks"] = adjacency @ neighbours - neighbours
    directed = _matrix(n, source, target)
    columns["pagerank"] = pagerank(directed) * n
    columns["pagerank_reverse"] = pagerank(directed.T.tocsr()) * n
    return _prefixed(pd.DataFrame(columns))


def neighbour_means(adjacency: sp.csr_matrix, numeric: pd.DataFrame) -> pd.DataFrame:
    """The mean of each numeric column over each node's neighbours where it is known
    (``neighbour_mean[col]``); NaN where no neighbour knows it."""
    columns: dict[str, np.ndarray] = {}
    for name in numeric.columns:
        values = numeric[name].to_numpy(dtype=np.float64)
        known = ~np.isnan(values)
        total = adjacency @ np.where(known, values, 0.0)
        counted = adjacency @ known.astype(np.float64)
        columns[f"neighbour_mean_{safe_name(str(name))}"] = np.divide(
            total, counted, out=np.full(len(values), np.nan), where=counted > 0)
    return _prefixed(pd.DataFrame(columns, index=numeric.index))


def label_features(n: int, source: np.ndarray, target: np.ndarray, kind: np.ndarray,
                   types: Sequence[str], train_label: np.ndarray) -> pd.DataFrame:
    """Neighbour-label features from ``train_label`` (1 / 0 for training nodes, -1 for every
    other node, whose labels must not be read): counts and positive rates one and two hops
    away, and per edge type and direction when there are several. A node's own label is
    never part of its features."""
    labelled = (train_label >= 0).astype(np.float64)
    positive = (train_label == 1).astype(np.float64)
    adjacency = undirected(n, source, target)
    degree = np.diff(adjacency.indptr).astype(np.float64)
    columns: dict[str, np.ndarray] = {}

    def rate(pos: np.ndarray, lab: np.ndarray) -> np.ndarray:
        return np.divide(pos, lab, out=np.full(n, np.nan), where=lab > 0)

    one_lab, one_pos = adjacency @ labelled, adjacency @ positive
    columns["neighbours_labelled"] = one_lab
    columns["neighbours_positive"] = one_pos
    columns["neighbours_positive_rate"] = rate(one_pos, one_lab)
    # Walks i - j - i bring i's own label back: the binary, symmetric adjacency has exactly
    # degree(i) of them; subtract them.
    two_lab = adjacency @ one_lab - degree * labelled
    two_pos = adjacency @ one_pos - degree * positive
    columns["two_hop_labelled"] = two_lab
    columns["two_hop_positive_rate"] = rate(two_pos, two_lab)
    if len(types) > 1:
        for k, name in enumerate(types):
            of_type = kind == k
            typed = _matrix(n, source[of_type], target[of_type])
            typed.data[:] = 1.0
            for direction, matrix in (("out", typed), ("in", typed.T.tocsr())):
                columns[f"positive_rate_{direction}_{safe_name(name)}"] = rate(
                    matrix @ positive, matrix @ labelled)
    return _prefixed(pd.DataFrame(columns))
