"""Calibration: turning a model's raw log-odds into a probability of default that matches
the observed default rate, fitted on rows the model did not learn from.

Platt scaling (a logistic regression on the raw log-odds: PD = σ(a·s + b)) is the
default because it is monotone, so it keeps the model's ranking (AUC and KS are unchanged),
and it has two parameters, so a few hundred held-out rows are enough. The models fit it on
out-of-fold scores of inner folds, so every training row serves once as held-out data.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

import numpy as np
from sklearn.linear_model import LogisticRegression

__all__ = ["PD_FLOOR", "PlattCalibration", "fit_platt", "sigmoid"]

#: PDs are kept inside [PD_FLOOR, 1 − PD_FLOOR]: a model never claims certainty.
PD_FLOOR: Final = 1e-6


def sigmoid(log_odds: np.ndarray) -> np.ndarray:
    """The probability of the given log-odds, clipped to [PD_FLOOR, 1 − PD_FLOOR]."""
    return np.clip(1.0 / (1.0 + np.exp(-np.clip(log_odds, -50, 50))), PD_FLOOR, 1 - PD_FLOOR)


@dataclass(frozen=True, slots=True)
class PlattCalibration:
    """PD = σ(slope · raw + intercept); ``slope`` > 0 keeps the ranking."""

    slope: float
    intercept: float

    def log_odds(self, raw: np.ndarray) -> np.ndarray:
        """Calibrated log-odds of raw scores."""
        return self.slope * np.asarray(raw, dtype=float) + self.intercept

    def pd(self, raw: np.ndarray) -> np.ndarray:
        """Calibrated PDs of raw scores."""
        return sigmoid(self.log_odds(raw))

    def to_dict(self) -> dict[str, Any]:
        return {"method": "platt", "slope": self.slope, "intercept": self.intercept}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PlattCalibration:
        return cls(slope=float(data["slope"]), intercept=float(data["intercept"]))


def fit_platt(raw: np.ndarray, y: np.ndarray) -> PlattCalibration:
    """Platt scaling of held-out raw log-odds ``raw`` against outcomes ``y``.

    Barely regularised (C = 10⁴ on a one-column problem): the two parameters are what the
    held-out rows say. Should the fit come out with a slope ≤ 0 (a model no better than a
    coin on the held-out rows), the slope is held at a small positive value so the ranking
    is kept and the PDs collapse towards the observed rate, which is then the honest PD.
    """
    scores = np.asarray(raw, dtype=float).reshape(-1, 1)
    labels = np.asarray(y).astype(int)
    regression = LogisticRegression(C=1e4, max_iter=1000)
    regression.fit(scores, labels)
    slope, intercept = float(regression.coef_[0, 0]), float(regression.intercept_[0])
    if slope <= 1e-3:
        slope = 1e-3
        rate = float(np.clip(labels.mean(), PD_FLOOR, 1 - PD_FLOOR))
        intercept = float(np.log(rate / (1 - rate)) - slope * scores.mean())
    return PlattCalibration(slope=slope, intercept=intercept)
