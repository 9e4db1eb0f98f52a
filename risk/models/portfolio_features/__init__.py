"""As-of features per borrower for the PD model, with no look-ahead, and their words.

Every feature as of D reads only data dated on or before D: the book is cut at D
(:func:`.inputs.book_as_of`: loans disbursed, installments due, repayments paid and
modifications effective by D), the graph is read through :class:`.as_of_graph.AsOfGraph`
(edges dated after D left out: loans disbursed, guarantees signed, relationships starting,
accounts opened, transfers' months, collateral valued, events occurring after D), bureau
snapshots and events are taken on or before D, and "defaulted" means a first default day on
or before D. The one exception is the party's own attributes (income, sector...), stored
undated; they are read as they stand.

One module per family, each one vectorised pass: :mod:`.loans`, :mod:`.repayments`,
:mod:`.transactions` (inflows), :mod:`.bureau`, :mod:`.events`, :mod:`.party`,
:mod:`.network` (part 1's graph features and the relational default facts);
:mod:`.compute` runs them into one frame and :mod:`.words` turns values into the words of
reason codes.
"""

from risk.models.portfolio_features.as_of_graph import AsOfGraph
from risk.models.portfolio_features.compute import (
    FAMILIES,
    FeatureTable,
    PhaseHook,
    compute_features,
)
from risk.models.portfolio_features.inputs import AsOfInputs, FeatureBlock, book_as_of
from risk.models.portfolio_features.words import FeatureWords

__all__ = ["FAMILIES", "AsOfGraph", "AsOfInputs", "FeatureBlock", "FeatureTable",
           "FeatureWords", "PhaseHook", "book_as_of", "compute_features"]
