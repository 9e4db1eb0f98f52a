"""The risk graph: the parties, their live borrowing, the undirected party–party adjacency
the neighbourhood features walk, and the degree columns (see the package docstring for
which links count).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from graph.model import RelType
from risk.network.features.links import Links
from risk.network.features.parameters import FeatureParameters
from risk.network.features.sparse import binary, binary_rect, ones_matrix, row_counts
from risk.projection import PortfolioProjection

__all__ = ["RiskGraph", "risk_graph"]


@dataclass(frozen=True, slots=True, eq=False)
class RiskGraph:
    """Parties (sorted ids), ``borrows`` (party × loan, live loans only), the 0/1
    symmetric ``adjacency`` and the ``degrees`` columns (``DEGREE_NAMES``)."""

    party_ids: np.ndarray
    borrows: sp.csr_matrix
    adjacency: sp.csr_matrix
    degrees: np.ndarray

    @property
    def n(self) -> int:
        return len(self.party_ids)


def risk_graph(projection: PortfolioProjection, links: Links, live: np.ndarray,
               params: FeatureParameters) -> RiskGraph:
    """Parties, their live borrowing, the risk adjacency and the degree columns."""
    owns_s, owns_t = links.by_type[RelType.OWNS]
    dir_s, dir_t = links.by_type[RelType.DIRECTS]
    rel_s, rel_t = links.by_type[RelType.RELATED]
    uses_s, uses_t = links.by_type[RelType.USES]
    holds_s, holds_t = links.by_type[RelType.HOLDS]
    # Fixed-width unicode arrays: numpy sorts and searches them in C, where object arrays
    # compare Python strings one by one.
    party_text = np.unique(np.asarray(
        [*projection.party_ids.tolist(), *owns_s, *owns_t, *dir_s, *dir_t, *rel_s, *rel_t,
         *uses_s, *holds_s], dtype=str))
    n = len(party_text)
    ident_ids, ident_of = np.unique(np.asarray([*uses_t, *holds_t], dtype=str),
                                    return_inverse=True)
    ident_of = ident_of.ravel()

    def ix(ids: Sequence[str]) -> np.ndarray:
        if not len(ids):
            return np.empty(0, dtype=np.int64)
        return np.searchsorted(party_text, np.asarray(ids, dtype=str)).astype(np.int64)

    party_ids = party_text.astype(object)

    # Loans and guarantees, re-indexed onto these parties; loans not yet disbursed dropped.
    remap = ix(projection.party_ids.tolist())
    keep = sp.diags(live.astype(np.int32), dtype=np.int32)
    borrows = sp.csr_matrix(projection.borrows @ keep)
    guarantees = sp.csr_matrix(projection.guarantees @ keep)
    borrows.eliminate_zeros()
    guarantees.eliminate_zeros()
    move = sp.csr_matrix((np.ones(len(remap), dtype=np.int32),
                          (remap, np.arange(len(remap)))), shape=(n, projection.n_parties))
    borrows = sp.csr_matrix(move @ borrows)
    guarantees = sp.csr_matrix(move @ guarantees)
    # guarantor -> borrower: built here (not the projection's party_graph) so that loans
    # disbursed after as_of drop out of it.
    guarantee_graph = binary(guarantees @ borrows.T)

    owns = ones_matrix(ix(owns_s), ix(owns_t), (n, n))
    directs = ones_matrix(ix(dir_s), ix(dir_t), (n, n))
    related = ones_matrix(ix(rel_s), ix(rel_t), (n, n))
    n_ident = len(ident_ids)
    uses = ones_matrix(ix(uses_s), ident_of[:len(uses_s)], (n, n_ident))
    holds = ones_matrix(ix(holds_s), ident_of[len(uses_s):], (n, n_ident))
    identifiers = binary_rect(uses + holds)
    users = np.asarray(identifiers.sum(axis=0)).ravel()
    private = sp.diags((users <= params.public_above).astype(np.int32), dtype=np.int32)
    shared = identifiers @ private
    adjacency = binary(guarantee_graph + guarantee_graph.T + owns + owns.T + related
                        + related.T + shared @ identifiers.T)

    risk_degree = row_counts(adjacency)
    degrees = np.column_stack([
        row_counts(borrows), row_counts(guarantees),
        row_counts(sp.csr_matrix(guarantee_graph.T)),
        row_counts(owns), row_counts(sp.csr_matrix(owns.T)),
        row_counts(directs), row_counts(sp.csr_matrix(directs.T)),
        row_counts(uses), row_counts(holds),
        row_counts(binary(related + related.T)), risk_degree,
    ]).astype(np.int32)

    return RiskGraph(party_ids, borrows, adjacency, degrees)
