"""Population stability against the training population, without keeping the training rows.

A model's registry entry keeps, per feature and for the score, the bins of its training
population (:func:`reference_bins`: decile edges and the share of rows in each bin, or the
share of each level of a categorical feature, missing values in a bin of their own); a scan
measures its own population against them (:func:`psi_against`). PSI is
Σ (actual − expected) · ln(actual / expected) over the bins, shares floored at
:data:`risk.models.metrics.PSI_FLOOR` like :func:`risk.models.metrics.psi`; by the usual
rule of thumb below 0.1 is stable and above 0.25 a shift worth investigating.
"""

from __future__ import annotations

from typing import Any, Final

import numpy as np
import pandas as pd

from risk.models.metrics import PSI_FLOOR

__all__ = ["DRIFT_WATCH", "psi_against", "reference_bins"]

#: PSI above which a feature or the score is reported as drifting.
DRIFT_WATCH: Final = 0.25
_BINS: Final = 10


def _numeric(values: pd.Series) -> bool:
    return bool(pd.api.types.is_numeric_dtype(values)) and not pd.api.types.is_bool_dtype(values)


def _floored(counts: np.ndarray) -> np.ndarray:
    total = counts.sum()
    shares = counts / total if total else np.zeros(len(counts))
    return np.maximum(shares, PSI_FLOOR)


def _numeric_counts(edges: np.ndarray, values: np.ndarray) -> np.ndarray:
    missing = np.isnan(values)
    found = np.bincount(np.searchsorted(edges, values[~missing], side="left"),
                        minlength=len(edges) + 1)
    return np.append(found, missing.sum()).astype(float)


def reference_bins(values: pd.Series | np.ndarray) -> dict[str, Any]:
    """The training population's bins of one feature or of the score (JSON-ready)."""
    series = pd.Series(values).reset_index(drop=True)
    if _numeric(series):
        data = series.to_numpy(dtype=float)
        present = data[~np.isnan(data)]
        edges = (np.unique(np.quantile(present, np.linspace(0, 1, _BINS + 1)[1:-1]))
                 if present.size else np.array([]))
        return {"edges": edges.tolist(),
                "shares": _floored(_numeric_counts(edges, data)).tolist()}
    words = series.astype(object).where(series.notna(), None)
    counts = words.map(lambda v: "\0missing" if v is None else str(v)).value_counts()
    total = float(counts.sum())
    return {"levels": {str(k): float(v) / total for k, v in counts.items()}}


def psi_against(reference: dict[str, Any], values: pd.Series | np.ndarray) -> float:
    """PSI of ``values`` against a :func:`reference_bins` result."""
    series = pd.Series(values).reset_index(drop=True)
    if "edges" in reference:
        data = pd.to_numeric(series, errors="coerce").to_numpy(dtype=float)
        expected = np.asarray(reference["shares"], dtype=float)
        actual = _floored(_numeric_counts(np.asarray(reference["edges"], dtype=float), data))
    else:
        levels: dict[str, float] = reference["levels"]
        words = series.astype(object).where(series.notna(), None).map(
            lambda v: "\0missing" if v is None else str(v))
        counts = words.value_counts()
        names = sorted(levels)
        seen = np.array([float(counts.get(k, 0)) for k in names])
        unseen = float(counts.sum()) - seen.sum()
        expected = np.maximum(np.append([levels[k] for k in names], 0.0), PSI_FLOOR)
        actual = _floored(np.append(seen, unseen))
    return float(np.sum((actual - expected) * np.log(actual / expected)))
