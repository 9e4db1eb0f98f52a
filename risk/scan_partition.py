"""The partition of a scan: parties labelled by connected component of the risk links.

No circle, group, ring, contagion path or related-party rule crosses a connected component
of the guarantee, ownership, identity-ring and supply links, so the components are the
units a distributed scan hands to its workers (see :mod:`risk.scan`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from risk.errors import RiskError

__all__ = ["Components", "risk_components"]


@dataclass(frozen=True, slots=True)
class Components:
    """Parties labelled by connected component of the risk links: party ``ids[i]`` (sorted)
    is in component ``labels[i]``; components are numbered largest first."""

    ids: np.ndarray
    labels: np.ndarray
    sizes: np.ndarray

    @property
    def count(self) -> int:
        return len(self.sizes)

    def members(self, component: int) -> list[str]:
        return self.ids[self.labels == component].tolist()



def risk_components(parties: Sequence[str] | np.ndarray,
                    links: Iterable[tuple[Sequence[str] | np.ndarray,
                                          Sequence[str] | np.ndarray]]) -> Components:
    """Partition ``parties`` and every party the ``links`` name into connected components.

    ``links`` are pairs of equal-length id sequences (sources, targets), one pair per kind
    of link (guarantee, ownership, ring, supply); direction is ignored. Components are
    numbered by size, largest first (ties by smallest member id), so component 0 is the
    giant one. O(V log V + E) for the id lookups, then scipy's linear-time labelling.
    """
    sources: list[np.ndarray] = []
    targets: list[np.ndarray] = []
    for a, b in links:
        a_arr, b_arr = np.asarray(a, dtype=object), np.asarray(b, dtype=object)
        if len(a_arr) != len(b_arr):
            raise RiskError(f"a link list has {len(a_arr)} sources but {len(b_arr)} targets")
        sources.append(a_arr)
        targets.append(b_arr)
    everyone = np.concatenate([np.asarray(parties, dtype=object), *sources, *targets])
    ids = np.unique(everyone) if len(everyone) else np.empty(0, dtype=object)
    n = len(ids)
    row = np.searchsorted(ids, np.concatenate(sources)) if sources else np.empty(0, np.int64)
    col = np.searchsorted(ids, np.concatenate(targets)) if targets else np.empty(0, np.int64)
    adjacency = sp.csr_matrix((np.ones(len(row), dtype=np.int8), (row, col)), shape=(n, n))
    _, raw = connected_components(adjacency, directed=False)
    sizes = np.bincount(raw) if n else np.empty(0, dtype=np.int64)
    # Largest first; among equal sizes the component of the smallest id first (raw labels
    # are numbered in order of first appearance over the sorted ids).
    order = np.lexsort((np.arange(len(sizes)), -sizes))
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    return Components(ids=ids, labels=rank[raw].astype(np.int32), sizes=sizes[order])
