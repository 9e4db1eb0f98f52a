"""The scorecard PD model: weight-of-evidence bins, a logistic regression on the WoE, and
points — the form credit committees and regulators read.

How it is fitted (:func:`fit_scorecard`):

* every feature is binned (:mod:`risk.models.woe_binning`: monotone default rate for
  numeric features, grouped levels for categorical ones, missing as its own bin);
* features with an information value below :data:`MIN_IV` are screened out;
* an L2 logistic regression (scikit-learn) is fitted on the WoE values; a feature whose
  coefficient comes out ≤ 0 (its WoE already says "riskier", so a negative weight is
  collinearity, not signal) is dropped and the regression refitted;
* the same procedure is run on inner stratified folds, and Platt scaling is fitted on the
  out-of-fold scores, so the PD is calibrated on rows the procedure did not see;
* the calibrated log-odds become points: ``points to double the odds`` (PDO, 20 by
  default) and ``base points`` at ``base odds`` (600 at 50:1 good:bad), stored with the
  model. A row's score is the base plus its bins' points; higher is safer.

Reason codes follow the usual adverse-action method: the features whose bin lost the most
points against that feature's best bin, worded with the bin ("annual_income below 3,200",
"missing bureau_score").
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import orjson
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold

from risk.models.calibration import PlattCalibration, fit_platt
from risk.models.errors import ModelError
from risk.models.pd_model import Describe, Reason
from risk.models.reason_codes import top_reasons
from risk.models.woe_binning import Binning, bin_feature

__all__ = ["BASE_ODDS", "BASE_POINTS", "FORMAT", "MIN_IV", "PDO", "ScorecardModel",
           "fit_scorecard"]

FORMAT: Final = "loanwatch.scorecard/1"
#: Points to double the odds (good:bad).
PDO: Final = 20.0
#: The score at :data:`BASE_ODDS`.
BASE_POINTS: Final = 600.0
#: Good:bad odds that score :data:`BASE_POINTS`.
BASE_ODDS: Final = 50.0
#: Features below this information value are screened out ("not predictive").
MIN_IV: Final = 0.02
#: Inverse L2 strength of the regression on WoE values.
REGRESSION_C: Final = 1.0
INNER_FOLDS: Final = 5


@dataclass
class ScorecardModel:
    """A fitted, calibrated WoE scorecard (see the module's docstring)."""

    binnings: list[Binning]
    coefficients: list[float]
    intercept: float
    calibration: PlattCalibration
    pdo: float = PDO
    base_points: float = BASE_POINTS
    base_odds: float = BASE_ODDS
    kind: str = "scorecard"

    @property
    def feature_names(self) -> list[str]:  # type: ignore[override]
        return [b.feature for b in self.binnings]

    @property
    def factor(self) -> float:
        """Points per unit of log-odds."""
        return self.pdo / math.log(2)

    def _codes(self, frame: pd.DataFrame) -> list[np.ndarray]:
        missing = [b.feature for b in self.binnings if b.feature not in frame.columns]
        if missing:
            raise ModelError(f"the data lacks the model's column(s): {', '.join(missing)}")
        return [b.codes(frame[b.feature]) for b in self.binnings]

    def _linear(self, codes: list[np.ndarray], n: int) -> np.ndarray:
        total = np.full(n, self.intercept)
        for binning, coefficient, c in zip(self.binnings, self.coefficients, codes, strict=True):
            total += coefficient * binning.woe_of(c)
        return total

    def predict_pd(self, frame: pd.DataFrame) -> np.ndarray:
        return self.calibration.pd(self._linear(self._codes(frame), len(frame)))

    def score_points(self, frame: pd.DataFrame) -> np.ndarray:
        """Each row's score in points (higher is safer)."""
        log_odds = self.calibration.log_odds(self._linear(self._codes(frame), len(frame)))
        offset = self.base_points - self.factor * math.log(self.base_odds)
        return offset - self.factor * log_odds

    def points_table(self) -> list[dict[str, Any]]:
        """The scorecard as a table: per feature and bin, its words and its points (the
        base points, the intercept's share, are on a row of their own)."""
        slope, factor = self.calibration.slope, self.factor
        offset = self.base_points - factor * math.log(self.base_odds)
        base = offset - factor * (slope * self.intercept + self.calibration.intercept)
        rows: list[dict[str, Any]] = [{"feature": None, "bin": "base points",
                                       "points": round(base, 1)}]
        for binning, coefficient in zip(self.binnings, self.coefficients, strict=True):
            for code in range(binning.value_bins + 1):
                if binning.rows[code] == 0 and code == binning.value_bins:
                    continue
                rows.append({"feature": binning.feature,
                             "bin": binning.describe(code, None),
                             "rows": binning.rows[code], "woe": round(binning.woe[code], 4),
                             "points": round(-factor * slope * coefficient
                                             * binning.woe[code], 1)})
        return rows

    def contributions(self, frame: pd.DataFrame) -> np.ndarray:
        """Per row and feature, the calibrated log-odds its bin adds against the feature's
        best bin (points lost = this × points per log-odds)."""
        codes = self._codes(frame)
        columns = []
        for binning, coefficient, c in zip(self.binnings, self.coefficients, codes, strict=True):
            seen = [w for w, n in zip(binning.woe, binning.rows, strict=True) if n > 0]
            best = min(seen) if seen else 0.0
            columns.append(self.calibration.slope * coefficient * (binning.woe_of(c) - best))
        return np.column_stack(columns) if columns else np.zeros((len(frame), 0))

    def reasons(self, frame: pd.DataFrame, *, top: int = 3,
                describe: Describe | None = None) -> list[list[Reason]]:
        codes = self._codes(frame)
        values = frame[self.feature_names].astype(object).to_numpy()

        def wording(row: int, j: int) -> str:
            return self.binnings[j].describe(int(codes[j][row]), values[row][j])

        return top_reasons(self.contributions(frame), values, self.feature_names, top=top,
                           describe=describe, wording=wording)

    def to_bytes(self) -> bytes:
        return orjson.dumps({
            "format": FORMAT, "binnings": [b.to_dict() for b in self.binnings],
            "coefficients": self.coefficients, "intercept": self.intercept,
            "calibration": self.calibration.to_dict(), "pdo": self.pdo,
            "base_points": self.base_points, "base_odds": self.base_odds})

    @classmethod
    def from_bytes(cls, payload: bytes) -> ScorecardModel:
        document = orjson.loads(payload)
        if document.get("format") != FORMAT:
            raise ModelError(f"not a {FORMAT} artefact (format {document.get('format')!r})")
        return cls(binnings=[Binning.from_dict(b) for b in document["binnings"]],
                   coefficients=[float(c) for c in document["coefficients"]],
                   intercept=float(document["intercept"]),
                   calibration=PlattCalibration.from_dict(document["calibration"]),
                   pdo=float(document["pdo"]), base_points=float(document["base_points"]),
                   base_odds=float(document["base_odds"]))


def _regression(binnings: list[Binning], frame: pd.DataFrame, y: np.ndarray,
                ) -> tuple[list[Binning], list[float], float]:
    """IV screening, then the L2 regression on WoE, dropping features with a weight ≤ 0."""
    chosen = [b for b in binnings if b.iv >= MIN_IV]
    if not chosen:
        strongest = max(binnings, key=lambda b: b.iv)
        chosen = [strongest]
    woe = {b.feature: b.woe_of(b.codes(frame[b.feature])) for b in chosen}
    while True:
        matrix = np.column_stack([woe[b.feature] for b in chosen])
        regression = LogisticRegression(C=REGRESSION_C, max_iter=1000)
        regression.fit(matrix, y)
        weights = regression.coef_[0]
        if len(chosen) == 1 or (weights > 0).all():
            break
        chosen = [b for b, w in zip(chosen, weights, strict=True) if w > 0] or \
            [chosen[int(np.argmax(weights))]]
    return chosen, [float(w) for w in weights], float(regression.intercept_[0])


def _fit_uncalibrated(frame: pd.DataFrame, y: np.ndarray) -> ScorecardModel:
    binnings = [bin_feature(str(name), frame[name], y) for name in frame.columns]
    chosen, weights, intercept = _regression(binnings, frame, y)
    return ScorecardModel(binnings=chosen, coefficients=weights, intercept=intercept,
                          calibration=PlattCalibration(1.0, 0.0))


def fit_scorecard(frame: pd.DataFrame, y: np.ndarray, *, seed: int = 0) -> ScorecardModel:
    """Fit the calibrated WoE scorecard on ``frame`` (numeric and ``category`` columns) and
    0/1 outcomes ``y`` (see the module's docstring).

    Raises :class:`ModelError` when one class has fewer than two rows or there is no column.
    """
    labels = np.asarray(y).astype(int)
    if frame.shape[1] == 0:
        raise ModelError("a scorecard needs at least one feature")
    minority = int(min(labels.sum(), len(labels) - labels.sum()))
    if minority < 2:
        raise ModelError(f"too few rows of one class to train on ({minority}); a model needs "
                         "both defaulters and non-defaulters")
    folds = StratifiedKFold(n_splits=min(INNER_FOLDS, minority), shuffle=True,
                            random_state=seed)
    held_out = np.zeros(len(labels))
    for learn, stop in folds.split(np.zeros(len(labels)), labels):
        inner = _fit_uncalibrated(frame.iloc[learn], labels[learn])
        part = frame.iloc[stop]
        held_out[stop] = inner._linear(inner._codes(part), len(part))
    model = _fit_uncalibrated(frame, labels)
    model.calibration = fit_platt(held_out, labels)
    return model
