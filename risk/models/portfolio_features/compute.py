"""The whole as-of pass: every feature family over the rows, into one frame.

Each family is one vectorised pass (numpy over the book's installments, repayments and the
streamed edges; no loop per borrower). ``phase`` wraps each family (the benchmark times and
measures them); ``progress`` hears its name as it starts.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import pandas as pd

from risk.models.portfolio_features.bureau import bureau_features
from risk.models.portfolio_features.events import event_features
from risk.models.portfolio_features.inputs import AsOfInputs, FeatureBlock
from risk.models.portfolio_features.loans import loan_features
from risk.models.portfolio_features.network import network_features
from risk.models.portfolio_features.party import party_features_of
from risk.models.portfolio_features.repayments import repayment_features
from risk.models.portfolio_features.transactions import inflow_features
from risk.network.features import FeatureParameters

__all__ = ["FAMILIES", "FeatureTable", "PhaseHook", "compute_features"]

#: The families, in the order they run.
FAMILIES: Final = ("loans", "repayments", "transactions", "bureau", "events", "party",
                   "graph")
PhaseHook = Callable[[str], AbstractContextManager[object]]


def _no_phase(_name: str) -> AbstractContextManager[object]:
    return nullcontext()


@dataclass(frozen=True, slots=True)
class FeatureTable:
    """The features of the rows: ``frame`` (float64 and ``category`` columns),
    ``graph_columns`` (the graph family's), ``facts`` for the words of reason codes."""

    frame: pd.DataFrame
    graph_columns: list[str]
    facts: dict[str, dict[int, tuple[Any, ...]]]


def _as_frame(blocks: list[FeatureBlock], n: int) -> pd.DataFrame:
    data: dict[str, Any] = {}
    for block in blocks:
        for name, values in block.columns.items():
            if name in block.categories:
                text = [v if isinstance(v, str) and v else None for v in values.tolist()]
                categories = sorted({v for v in text if v is not None})
                data[name] = pd.Categorical(text, categories=categories)
            else:
                data[name] = np.asarray(values, dtype=np.float64)
    return pd.DataFrame(data, index=pd.RangeIndex(n))


def compute_features(inputs: AsOfInputs, *, graph_features: bool = True,
                     graph_params: FeatureParameters = FeatureParameters(),
                     phase: PhaseHook = _no_phase,
                     progress: Callable[[str], None] | None = None) -> FeatureTable:
    """Every family of :data:`FAMILIES` (the graph one only with ``graph_features``)."""

    def run(name: str, compute: Callable[[], FeatureBlock]) -> FeatureBlock:
        if progress is not None:
            progress(f"features: {name}")
        with phase(name):
            return compute()

    loans = run("loans", lambda: loan_features(inputs))
    repayments = run("repayments", lambda: repayment_features(inputs))
    inflow = run("transactions", lambda: inflow_features(inputs))
    bureau = run("bureau", lambda: bureau_features(inputs))
    events = run("events", lambda: event_features(inputs))
    party = run("party", lambda: party_features_of(
        inputs, debt=bureau.columns["bureau_debt"], outstanding=loans.columns["outstanding"]))
    blocks = [loans, repayments, inflow, bureau, events, party]
    graph_columns: list[str] = []
    facts: dict[str, dict[int, tuple[Any, ...]]] = {}
    if graph_features:
        network = run("graph", lambda: network_features(inputs, params=graph_params))
        blocks.append(network)
        graph_columns = list(network.columns)
        facts.update(network.facts)
    return FeatureTable(frame=_as_frame(blocks, inputs.n), graph_columns=graph_columns,
                        facts=facts)
