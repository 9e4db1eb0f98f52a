"""How good a PD is: ranking (AUC, KS), accuracy of the probabilities (Brier score, the
calibration table by decile) and drift between two samples (population stability, PSI).

Every function takes plain arrays (``y`` 0/1, ``p`` probabilities) and returns plain
values, so the same figures serve cross-validation, out-of-time validation and monitoring.
AUC and KS come from scikit-learn's ROC curve; PSI is written here because it is a few
lines and its conventions (bins from the expected sample, a floor for empty bins, missing
values as their own bin) are the credit-risk ones rather than a library's.
"""

from __future__ import annotations

from typing import Any, Final

import numpy as np
import pandas as pd
from sklearn.metrics import brier_score_loss, roc_auc_score, roc_curve

__all__ = ["PSI_FLOOR", "auc", "brier", "calibration_table", "ks", "psi"]

#: The share given to a bin that one of the two samples leaves empty, so that PSI stays
#: finite (ln 0) and a new, tiny category counts as drift but does not dominate.
PSI_FLOOR: Final = 1e-4


def _labels(y: Any) -> np.ndarray:
    labels = np.asarray(y).astype(np.int8).ravel()
    if labels.size == 0:
        raise ValueError("no rows to measure")
    return labels


def _two_classes(labels: np.ndarray, what: str) -> None:
    if labels.min() == labels.max():
        raise ValueError(f"{what} needs both classes; every row is {int(labels[0])}")


def auc(y: Any, p: Any) -> float:
    """Area under the ROC curve: the chance that a random defaulter scores above a random
    non-defaulter (ties count half). 0.5 is a coin, 1.0 a perfect ranking."""
    labels = _labels(y)
    _two_classes(labels, "AUC")
    return float(roc_auc_score(labels, np.asarray(p, dtype=float).ravel()))


def ks(y: Any, p: Any) -> float:
    """Kolmogorov–Smirnov statistic: the largest gap between the cumulative score
    distributions of defaulters and non-defaulters (max |TPR − FPR| over thresholds)."""
    labels = _labels(y)
    _two_classes(labels, "KS")
    fpr, tpr, _ = roc_curve(labels, np.asarray(p, dtype=float).ravel())
    return float(np.max(np.abs(tpr - fpr)))


def brier(y: Any, p: Any) -> float:
    """Brier score: the mean squared gap between PD and outcome (lower is better)."""
    labels = _labels(y)
    return float(brier_score_loss(labels, np.clip(np.asarray(p, dtype=float).ravel(), 0, 1)))


def calibration_table(y: Any, p: Any, bins: int = 10) -> list[dict[str, Any]]:
    """Rows ranked by PD and cut into ``bins`` groups of (nearly) equal size, lowest PD
    first: per group its count, mean PD and observed default rate (and the PD range)."""
    labels = _labels(y)
    scores = np.asarray(p, dtype=float).ravel()
    order = np.argsort(scores, kind="stable")
    table = []
    for number, rows in enumerate(np.array_split(order, min(bins, len(order))), start=1):
        table.append({"bin": number, "count": len(rows),
                      "min_pd": float(scores[rows].min()), "max_pd": float(scores[rows].max()),
                      "mean_pd": float(scores[rows].mean()),
                      "observed_rate": float(labels[rows].mean())})
    return table


def _is_categorical(values: pd.Series) -> bool:
    return not (pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values))


def _shares(counts: np.ndarray) -> np.ndarray:
    total = counts.sum()
    shares = counts / total if total else np.zeros_like(counts, dtype=float)
    return np.maximum(shares, PSI_FLOOR)


def psi(expected: Any, actual: Any, bins: int = 10) -> float:
    """Population stability index of ``actual`` against ``expected`` (a feature or a score).

    Numeric values: ``bins`` quantile bins of the expected sample (fewer when values repeat;
    the outer bins open-ended); categorical values (strings, pandas ``category``): one bin
    per expected level and one for levels never seen in it. Missing values form a bin of
    their own in both cases. A bin empty in one sample gets the share :data:`PSI_FLOOR`.
    PSI = Σ (actual share − expected share) · ln(actual share / expected share); by the
    usual rule of thumb below 0.1 is stable, above 0.25 a shift worth investigating.
    """
    before = pd.Series(np.asarray(expected, dtype=object) if not isinstance(expected, pd.Series)
                       else expected).reset_index(drop=True)
    after = pd.Series(np.asarray(actual, dtype=object) if not isinstance(actual, pd.Series)
                      else actual).reset_index(drop=True)
    if before.empty or after.empty:
        raise ValueError("PSI needs rows in both samples")
    numeric_before = pd.to_numeric(before, errors="coerce")
    numeric_after = pd.to_numeric(after, errors="coerce")
    numeric = (not _is_categorical(before) or
               (numeric_before.notna().sum() == before.notna().sum()
                and numeric_after.notna().sum() == after.notna().sum()))
    if numeric:
        return _numeric_psi(numeric_before.to_numpy(float), numeric_after.to_numpy(float), bins)
    return _categorical_psi(before, after)


def _numeric_psi(before: np.ndarray, after: np.ndarray, bins: int) -> float:
    present = before[~np.isnan(before)]
    if present.size:
        inner = np.unique(np.quantile(present, np.linspace(0, 1, bins + 1)[1:-1]))
    else:
        inner = np.array([])

    def counts(values: np.ndarray) -> np.ndarray:
        missing = np.isnan(values)
        # side="left": a value equal to an edge goes to the bin below it, like the quantile.
        found = np.bincount(np.searchsorted(inner, values[~missing], side="left"),
                            minlength=len(inner) + 1)
        return np.append(found, missing.sum()).astype(float)

    e, a = _shares(counts(before)), _shares(counts(after))
    return float(np.sum((a - e) * np.log(a / e)))


def _categorical_psi(before: pd.Series, after: pd.Series) -> float:
    def words(values: pd.Series) -> list[str | None]:
        # Element by element: a `category` column keeps NaN through `where(..., None)`.
        return [None if pd.isna(v) else str(v) for v in values.astype(object)]

    b, a = words(before), words(after)
    levels = sorted({v for v in b if v is not None})
    index = {level: i for i, level in enumerate(levels)}
    unseen, missing = len(levels), len(levels) + 1

    def counts(values: list[str | None]) -> np.ndarray:
        codes = [missing if v is None else index.get(v, unseen) for v in values]
        return np.bincount(np.asarray(codes, dtype=int), minlength=len(levels) + 2).astype(float)

    e, act = _shares(counts(b)), _shares(counts(a))
    return float(np.sum((act - e) * np.log(act / e)))
