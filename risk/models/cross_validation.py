"""K-fold cross-validation of several PD model kinds on the same stratified folds.

Each model is fitted on k − 1 folds (it calibrates itself on inner folds of those) and
measured on the fold it never saw; each metric is reported as the mean and the standard
deviation over the folds, so two models are compared on exactly the same rows.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

import numpy as np
import pandas as pd
from sklearn.model_selection import StratifiedKFold

from risk.models import metrics
from risk.models.pd_model import PdModel

__all__ = ["FOLDS", "METRICS", "CrossValidation", "cross_validate", "stratified_folds"]

FOLDS: Final = 5
#: The metrics measured on every test fold.
METRICS: Final[dict[str, Callable[[Any, Any], float]]] = {
    "auc": metrics.auc, "ks": metrics.ks, "brier": metrics.brier}

Fit = Callable[..., PdModel]


def stratified_folds(y: np.ndarray, *, folds: int = FOLDS, seed: int = 0,
                     ) -> list[tuple[np.ndarray, np.ndarray]]:
    """(train rows, test rows) of ``folds`` stratified folds, shuffled with ``seed``."""
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    return list(splitter.split(np.zeros(len(y)), np.asarray(y)))


@dataclass
class CrossValidation:
    """Per model kind and metric, the value on each fold (in fold order)."""

    rows: int
    folds: int
    per_fold: dict[str, dict[str, list[float]]] = field(default_factory=dict)

    def summary(self) -> dict[str, dict[str, dict[str, float]]]:
        """``{model: {metric: {"mean": m, "std": s}}}`` (std over folds, ddof 1)."""
        return {model: {name: {"mean": float(np.mean(values)),
                               "std": float(np.std(values, ddof=1)) if len(values) > 1 else 0.0}
                        for name, values in measured.items()}
                for model, measured in self.per_fold.items()}

    def best(self) -> str:
        """The model with the highest mean AUC (the lower mean Brier breaks a tie)."""
        summary = self.summary()
        return max(summary, key=lambda m: (round(summary[m]["auc"]["mean"], 6),
                                           -summary[m]["brier"]["mean"]))


def cross_validate(frame: pd.DataFrame, y: np.ndarray, fits: Mapping[str, Fit], *,
                   folds: int = FOLDS, seed: int = 0,
                   progress: Callable[[str], None] | None = None) -> CrossValidation:
    """Fit every model of ``fits`` (name → ``fit(frame, y, seed=...)``) on the same
    ``folds`` stratified folds and measure AUC, KS and Brier on each held-out fold."""
    labels = np.asarray(y).astype(int)
    result = CrossValidation(rows=len(labels), folds=folds,
                             per_fold={name: {m: [] for m in METRICS} for name in fits})
    for number, (train, test) in enumerate(stratified_folds(labels, folds=folds, seed=seed),
                                           start=1):
        for name, fit in fits.items():
            if progress is not None:
                progress(f"fold {number}/{folds}: {name}")
            model = fit(frame.iloc[train], labels[train], seed=seed)
            predicted = model.predict_pd(frame.iloc[test])
            for metric, measure in METRICS.items():
                result.per_fold[name][metric].append(measure(labels[test], predicted))
    return result
