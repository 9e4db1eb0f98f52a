"""External events per borrower as of D: the court cases, news and social-media posts that
mention it (``MENTIONED_IN``), dated on or before D, counted by kind over the last 3 and
12 months (``events_<kind>_{3,12}m``), the severe ones among them (severity 4 or 5,
``events_severe_{3,12}m``) and the worst severity of the last 12 months
(``event_max_severity_12m``, 0 when none). Kinds other than the three are counted as
``other``.
"""

from __future__ import annotations

from typing import Final

import numpy as np

from risk.classification.delinquency import add_months
from risk.models.portfolio_features.inputs import AsOfInputs, FeatureBlock, row_index

__all__ = ["COLUMNS", "KINDS", "SEVERE", "event_features"]

KINDS: Final = ("court_case", "news", "social", "other")
#: Severity from which an event counts as severe.
SEVERE: Final = 4
_WINDOWS: Final = (3, 12)
COLUMNS: Final = (*(f"events_{k}_{w}m" for k in KINDS for w in _WINDOWS),
                  *(f"events_severe_{w}m" for w in _WINDOWS), "event_max_severity_12m")


def event_features(inputs: AsOfInputs) -> FeatureBlock:
    """The columns of :data:`COLUMNS` (see the module)."""
    events, n, day = inputs.events, inputs.n, inputs.day
    row = row_index(inputs.rows, events.party)
    known = np.array(KINDS[:-1], dtype=object)
    kind = np.full(len(events), len(KINDS) - 1, dtype=np.int64)
    for k, name in enumerate(known.tolist()):
        kind[events.kind == name] = k
    columns: dict[str, np.ndarray] = {}
    for w in _WINDOWS:
        since = int(add_months(np.array([day]), -w)[0])
        inside = (row >= 0) & (events.day <= day) & (events.day > since)
        for k, name in enumerate(KINDS):
            mask = inside & (kind == k)
            columns[f"events_{name}_{w}m"] = np.bincount(row[mask], minlength=n
                                                         ).astype(np.float64)
        severe = inside & (events.severity >= SEVERE)
        columns[f"events_severe_{w}m"] = np.bincount(row[severe], minlength=n
                                                     ).astype(np.float64)
        if w == 12:
            worst = np.zeros(n)
            np.maximum.at(worst, row[inside], events.severity[inside].astype(np.float64))
            columns["event_max_severity_12m"] = worst
    return FeatureBlock(columns={name: columns[name] for name in COLUMNS})
