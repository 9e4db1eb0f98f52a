"""The GNN on the stored portfolio: trained on borrower labels, scoring every borrower.

Borrowers are the ``person`` and ``company`` nodes of a
:class:`~risk.models.gnn.portfolio_graph.PortfolioGraph`; one head scores both types. The
caller gives the labelled borrowers (ids and 0/1 labels, e.g. defaulted within 12 months of
the as-of date, :mod:`risk.models.labels`) and leaves out the ones it keeps for testing; a
seeded stratified :data:`VALID_SHARE` of them validates (early stopping, calibration). No
label is an input (the model is meant to score a later date, when the labels it trained on
are history, not news).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

import numpy as np
from sklearn.model_selection import train_test_split

from risk.models.gnn.errors import GraphModelError
from risk.models.gnn.hetero_graph import HeteroGraph
from risk.models.gnn.portfolio_graph import BORROWER_TYPES, PortfolioGraph
from risk.models.gnn.training import GnnConfig, GnnModel, train_gnn

__all__ = ["VALID_SHARE", "score_borrowers", "train_on_borrowers"]

#: Share of the labelled borrowers that validates.
VALID_SHARE: Final = 0.2


def train_on_borrowers(graph: PortfolioGraph, hetero: HeteroGraph,
                       borrower_ids: Sequence[str] | np.ndarray, labels: np.ndarray, *,
                       config: GnnConfig | None = None, threads: int | None = None,
                       progress: object = None) -> GnnModel:
    """A :class:`GnnModel` of the borrowers of ``graph`` (features: ``hetero``, from
    :meth:`PortfolioGraph.hetero`), trained on ``labels`` (0/1, one per id of
    ``borrower_ids``).

    Raises:
        GraphModelError: no labelled borrower is in the graph, or one class only.
    """
    config = config or GnnConfig()
    position = graph.borrower_positions(borrower_ids)
    labels = np.asarray(labels, dtype=np.int64)
    found = position >= 0
    if len(np.unique(labels[found])) < 2:
        raise GraphModelError(
            f"{int(found.sum())} labelled borrowers are in the graph as of {graph.as_of}, "
            "and not both classes among them: nothing to learn",
            suggestion="train on a date with defaults after it and live loans on it")
    n = sum(len(graph.ids[t]) for t in BORROWER_TYPES)
    y = np.full(n, -1, dtype=np.int64)
    y[position[found]] = labels[found]
    fit, held = train_test_split(position[found], test_size=VALID_SHARE,
                                 stratify=labels[found], random_state=config.seed)
    train = np.zeros(n, dtype=bool)
    valid = np.zeros(n, dtype=bool)
    train[fit] = True
    valid[held] = True
    return train_gnn(hetero, BORROWER_TYPES, y, train, valid, config, threads=threads,
                     progress=progress)


def score_borrowers(model: GnnModel, graph: PortfolioGraph, hetero: HeteroGraph,
                    borrower_ids: Sequence[str] | np.ndarray) -> np.ndarray:
    """The calibrated PD of each of ``borrower_ids`` (NaN for an id that is not a party of
    the graph as of its date)."""
    scores = model.predict_pd(hetero)
    position = graph.borrower_positions(borrower_ids)
    found = position >= 0
    pd_ = np.full(len(position), np.nan)
    pd_[found] = scores[position[found]]
    return pd_
