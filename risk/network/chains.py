"""Guarantee chains (担保链): the paths a default travels from a borrower to its guarantors,
to their guarantors, and on.

When ``B`` defaults, whoever guarantees ``B``'s loans owes; so exposure travels *against*
the guarantee edges: ``B => A`` when ``A -> B`` (``A`` guarantees a loan of ``B``). Inside a
strongly connected component (a circle) it can travel round for ever, so chains are taken
in the condensation: one node per SCC of the party guarantee graph, which is a DAG.

A chain is a path in that DAG that starts at an SCC no default reaches (its members
guarantee no one outside it: pure borrowers) and follows exposure until an SCC that
guarantees no one else's loan (nobody further to hit) or until the cap:

* at most ``max_hops`` steps (default 6): a longer path is cut there and marked
  ``capped``; six steps of guarantees is past where published studies find contagion
  still material, and keeps the number of paths bounded;
* at least ``min_hops`` steps (default 2): a single guarantee is not a chain;
* at most ``max_chains`` chains in all (default 10,000), taken in order of the starting
  SCC's smallest party id; :attr:`ChainReport.truncated` says when the cap was reached.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Final

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from risk.network.circles import GuaranteeEdge, guarantee_edges
from risk.projection import PortfolioProjection

__all__ = [
    "DEFAULT_MAX_CHAINS",
    "DEFAULT_MAX_HOPS",
    "DEFAULT_MIN_HOPS",
    "Chain",
    "ChainOptions",
    "ChainReport",
    "find_chains",
]

DEFAULT_MAX_HOPS: Final = 6
DEFAULT_MIN_HOPS: Final = 2
DEFAULT_MAX_CHAINS: Final = 10_000


@dataclass(frozen=True, slots=True)
class ChainOptions:
    """Caps of :func:`find_chains` (see the module docstring)."""

    min_hops: int = DEFAULT_MIN_HOPS
    max_hops: int = DEFAULT_MAX_HOPS
    max_chains: int = DEFAULT_MAX_CHAINS

    def __post_init__(self) -> None:
        if not 1 <= self.min_hops <= self.max_hops:
            raise ValueError("need 1 <= min_hops <= max_hops, got "
                             f"min_hops={self.min_hops}, max_hops={self.max_hops}")
        if self.max_chains < 1:
            raise ValueError(f"max_chains must be at least 1, got {self.max_chains}")


@dataclass(frozen=True, slots=True)
class Chain:
    """One exposure path.

    Attributes:
        steps: the SCCs along the path, each as its sorted party ids; ``steps[0]`` is the
            borrower side where a default starts, each next step guarantees a loan of the
            one before.
        edges: the guarantee edges from each step to the one before it (who owes whom).
        capped: the path was cut at ``max_hops`` and goes further.
    """

    steps: tuple[tuple[str, ...], ...]
    edges: tuple[GuaranteeEdge, ...]
    capped: bool

    @property
    def hops(self) -> int:
        return len(self.steps) - 1


@dataclass(frozen=True, slots=True)
class ChainReport:
    chains: tuple[Chain, ...]
    truncated: bool


def find_chains(projection: PortfolioProjection,
                options: ChainOptions | None = None) -> ChainReport:
    """Length-capped exposure paths in the condensation of the party guarantee graph.

    Complexity: O(V + E) for the condensation, then a depth-first walk that stops after
    ``max_chains`` chains of at most ``max_hops`` steps.
    """
    options = options or ChainOptions()
    graph = projection.party_graph
    n_components, labels = connected_components(graph, directed=True, connection="strong")
    coo = graph.tocoo()
    across = labels[coo.row] != labels[coo.col]
    # Exposure runs borrower's SCC -> guarantor's SCC.
    dag = sp.csr_matrix((np.ones(int(across.sum()), dtype=np.int8),
                         (labels[coo.col[across]], labels[coo.row[across]])),
                        shape=(n_components, n_components))
    dag.sum_duplicates()
    out_degree = np.diff(dag.indptr)
    in_degree = np.bincount(dag.indices, minlength=n_components)
    members_order = np.argsort(labels, kind="stable")
    bounds = np.searchsorted(labels[members_order], np.arange(n_components + 1))
    first_member = members_order[bounds[:-1]]  # smallest party index of each SCC
    starts = np.flatnonzero((in_degree == 0) & (out_degree > 0))
    starts = starts[np.argsort(first_member[starts], kind="stable")]

    paths: list[tuple[list[int], bool]] = []
    truncated = False
    for start in starts.tolist():
        stack: list[list[int]] = [[start]]
        while stack:
            path = stack.pop()
            last = path[-1]
            nexts = dag.indices[dag.indptr[last]:dag.indptr[last + 1]]
            hops = len(path) - 1
            if len(nexts) == 0 or hops == options.max_hops:
                if hops >= options.min_hops:
                    paths.append((path, len(nexts) > 0))
                    if len(paths) >= options.max_chains:
                        truncated = bool(stack) or start != starts[-1]
                        break
                continue
            stack.extend([*path, int(n)] for n in sorted(nexts.tolist(), reverse=True))
        if len(paths) >= options.max_chains:
            break

    # Chains share their steps and links: each is built once.
    step_ids: dict[int, tuple[str, ...]] = {}
    links: dict[tuple[int, int], list[GuaranteeEdge]] = {}

    def members_of(component: int) -> np.ndarray:
        return np.sort(members_order[bounds[component]:bounds[component + 1]])

    def ids_of(component: int) -> tuple[str, ...]:
        if component not in step_ids:
            step_ids[component] = tuple(str(i) for i in projection.party_ids[
                members_of(component)])
        return step_ids[component]

    def link(lower: int, upper: int) -> list[GuaranteeEdge]:
        """The guarantees by members of ``upper`` of loans of members of ``lower``."""
        if (lower, upper) not in links:
            borrowers = members_of(lower)
            pairs = [(g, b) for g in members_of(upper).tolist()
                     for b in _borrowers_of(graph, g, borrowers)]
            links[lower, upper] = guarantee_edges(projection, pairs)[0]
        return links[lower, upper]

    chains = [
        Chain(steps=tuple(ids_of(c) for c in path),
              edges=tuple(e for lower, upper in itertools.pairwise(path)
                          for e in link(lower, upper)),
              capped=capped)
        for path, capped in paths
    ]
    return ChainReport(chains=tuple(chains), truncated=truncated)


def _borrowers_of(graph: sp.csr_matrix, guarantor: int, among: np.ndarray) -> list[int]:
    row = graph.indices[graph.indptr[guarantor]:graph.indptr[guarantor + 1]]
    return row[np.isin(row, among)].tolist()
