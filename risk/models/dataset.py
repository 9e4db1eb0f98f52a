"""The PD model's dataset as of a date: one row per borrower scored on that date, its
as-of features, and (for training) whether it defaulted within the horizon after it.

A borrower is scored on D when it has a live loan then (disbursed by D, something still
owed on D) and is not in default already (its first default day, under the definition,
is after D); the dataset counts the ones left out for being in default (their PD is 1).
The label is 1 when the first default day falls in ``(D, D + horizon_months]``; when that
window ends after the last data, ``progress`` hears a warning (later defaults are unknown).

The whole history is read once (:func:`risk.models.labels.read_history`): the default
dates need it, and the book as of D is cut from it rather than read again. Works on both
graph backends (the graph is only streamed, through :class:`AsOfGraph`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd
from sqlalchemy import Engine

from graph.store import GraphStore
from risk.classification.book import day_number, to_date
from risk.classification.delinquency import add_months, delinquency
from risk.errors import NoDataAsOf
from risk.models.default_definition import DEFAULT, DefaultDefinition
from risk.models.labels import DefaultEvents, default_events, read_events, read_history
from risk.models.pd_model import Describe
from risk.models.portfolio_features import (
    AsOfGraph,
    AsOfInputs,
    FeatureWords,
    PhaseHook,
    book_as_of,
    compute_features,
)
from risk.network.features import FeatureParameters
from risk.rules.inputs import text_array

__all__ = ["PortfolioDataset", "build_dataset"]


@dataclass(frozen=True)
class PortfolioDataset:
    """What :func:`build_dataset` returns (see the module).

    ``party_ids``: one row per borrower scored on ``as_of``; ``frame``: the features,
    row-aligned; ``graph_columns``: the columns that are graph features; ``label``: int8
    0/1 (``None`` when no horizon was asked); ``describe``: words for reason codes (row =
    position in ``frame``); ``in_default``: borrowers with a live loan left out for being
    in default on ``as_of`` already; ``defaults``: every party's first default;
    ``horizon_months``.
    """

    as_of: date
    party_ids: np.ndarray
    frame: pd.DataFrame
    graph_columns: list[str]
    label: np.ndarray | None
    describe: Describe
    in_default: int = 0
    defaults: DefaultEvents | None = field(default=None, repr=False)
    horizon_months: int | None = None
    #: The borrowers left out for being in default on ``as_of`` (sorted ids).
    in_default_ids: np.ndarray = field(default_factory=lambda: np.empty(0, dtype="<U1"))


def build_dataset(engine: Engine, graph: GraphStore, as_of: date, *,
                  horizon_months: int | None = 12, definition: DefaultDefinition = DEFAULT,
                  graph_features: bool = True,
                  progress: Callable[[str], None] | None = None,
                  graph_params: FeatureParameters = FeatureParameters(),
                  phase: PhaseHook | None = None) -> PortfolioDataset:
    """The dataset as of ``as_of`` (see the module).

    Raises:
        NoDataAsOf: no loan was disbursed on or before ``as_of``.
        ValueError: ``horizon_months`` below 1.
        risk.classification.errors.ClassificationError: no loans are stored.
    """
    if horizon_months is not None and horizon_months < 1:
        raise ValueError(f"horizon_months must be at least 1, got {horizon_months}")

    def say(message: str) -> None:
        if progress is not None:
            progress(message)

    say("reading the loan history")
    history = read_history(engine, through=as_of)
    say("reading external events")
    events = read_events(graph)
    say("dating defaults")
    defaults = default_events(engine, graph, definition, history=history, events=events)
    book = book_as_of(history.book, as_of)
    if not len(book):
        raise NoDataAsOf(f"no loan was disbursed on or before {as_of.isoformat()}",
                         suggestion="give a later as-of date")
    say("delinquency as of the date")
    dq = delinquency(book)
    live = (dq.outstanding > 0) | (dq.overdue > 0)
    borrowers = np.unique(text_array(book.borrower_ids[live]))
    defaulted = defaults.days_of(borrowers) <= day_number(as_of)
    rows = borrowers[~defaulted]
    inputs = AsOfInputs(engine=engine, graph=AsOfGraph(graph, as_of), as_of=as_of, rows=rows,
                        book=book, dq=dq, defaults=defaults, events=events)
    table = compute_features(inputs, graph_features=graph_features, graph_params=graph_params,
                             progress=progress, **({} if phase is None else {"phase": phase}))
    label = None
    if horizon_months is not None:
        label = defaults.label(rows, as_of, horizon_months)
        end = to_date(int(add_months(np.array([day_number(as_of)]), horizon_months)[0]))
        if end > defaults.observed_until:
            say(f"warning: the horizon ends on {end.isoformat()}, after the last data "
                f"({defaults.observed_until.isoformat()}): defaults after that are unknown "
                "and their labels 0")
    return PortfolioDataset(
        as_of=as_of, party_ids=rows, frame=table.frame,
        graph_columns=table.graph_columns, label=label,
        describe=FeatureWords(as_of, table.facts), in_default=int(defaulted.sum()),
        defaults=defaults, horizon_months=horizon_months,
        in_default_ids=borrowers[defaulted])
