"""The gradient-boosting PD model: LightGBM with defaults that hold across credit data sets
of a few hundred to a few hundred thousand rows, calibrated, with reason codes from its trees.

How it is fitted (:func:`fit_gbm`), with no per-data-set tuning:

* the rows are cut into inner stratified folds; one booster per fold learns on the other
  folds and stops early on its own fold (binary log-loss, so it stops where the
  probabilities stop improving, not only the ranking);
* the model is the average of those boosters' log-odds: a cross-fitted bag, steadier than
  one booster on one split, and every row was held out exactly once;
* Platt scaling is fitted on those held-out (out-of-fold) log-odds, which keeps the
  ranking and makes the PD match observed rates;
* tree size, leaf size, learning rate and patience scale with the number of rows
  (:func:`default_params`): small files get small, strongly regularised trees and a slow
  learning rate, large files bigger trees;
* categorical columns (pandas ``category``) are LightGBM categoricals, with levels seen in
  fewer than :data:`MIN_LEVEL_ROWS` rows pooled into one "other" level (so is a level never
  seen in training when scoring).

Reason codes are the trees' path attributions (:mod:`risk.models.tree_paths`: each split's
move in value credited to its feature), averaged over the boosters and scaled by the Platt
slope, so they are in calibrated log-odds and a row's credits add up to its log-odds less
the average. LightGBM's own TreeSHAP gives the same additivity but costs ten times more.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from typing import Any, Final

import lightgbm as lgb
import numpy as np
import orjson
import pandas as pd
from sklearn.model_selection import StratifiedKFold

from risk.models.calibration import PlattCalibration, fit_platt
from risk.models.errors import ModelError
from risk.models.pd_model import Describe, Reason
from risk.models.reason_codes import generic_text, is_missing, top_reasons
from risk.models.tree_paths import PathCredits

__all__ = ["FORMAT", "MIN_LEVEL_ROWS", "GbmModel", "cpu_threads", "default_params", "fit_gbm"]

#: The artefact's format tag, checked on load.
FORMAT: Final = "loanwatch.gbm/1"
#: A categorical level seen in fewer training rows than this is pooled into "other".
MIN_LEVEL_ROWS: Final = 10
#: Inner folds: each booster learns on (k − 1)/k of the rows and stops early on the rest.
INNER_FOLDS: Final = 5
#: Upper bound on boosting rounds; early stopping ends far sooner.
MAX_ROUNDS: Final = 5000
#: From this many training rows LightGBM runs on every CPU it may use.
THREADED_ROWS: Final = 20_000
_OTHER: Final = "other"


def cpu_threads(n_rows: int | None = None) -> int:
    """Threads for LightGBM: one below :data:`THREADED_ROWS` rows (there, thread start-up and
    OpenMP's spinning cost more than they win, and on a busy machine many times more), else
    the CPUs this process may run on (LightGBM's own default counts every CPU of the
    machine, which oversubscribes a container's few)."""
    if n_rows is not None and n_rows < THREADED_ROWS:
        return 1
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def default_params(n_rows: int, n_features: int, *, seed: int = 0) -> dict[str, Any]:
    """LightGBM parameters for ``n_rows`` training rows of ``n_features`` features.

    Capacity grows with the data: 7 leaves under 2,000 rows up to 63 from 100,000, leaves
    of at least ~0.25% of the rows (10 to 100), and a learning rate from 0.02 (small files,
    where each tree must count for little) to 0.05. Row and column subsampling and an L2
    penalty on leaf values regularise at every size.
    """
    if n_rows < 2_000:
        leaves, rate, l2 = 7, 0.02, 5.0
    elif n_rows < 10_000:
        leaves, rate, l2 = 15, 0.03, 2.0
    elif n_rows < 100_000:
        leaves, rate, l2 = 31, 0.04, 1.0
    else:
        leaves, rate, l2 = 63, 0.05, 1.0
    min_leaf = int(np.clip(n_rows / 400, 10, 100))
    return {
        "objective": "binary",
        "metric": "binary_logloss",
        "learning_rate": rate,
        "num_leaves": leaves,
        "min_data_in_leaf": min_leaf,
        "min_sum_hessian_in_leaf": 1e-3,
        "lambda_l2": l2,
        "feature_fraction": 0.8 if n_features >= 5 else 1.0,
        "bagging_fraction": 0.8,
        "bagging_freq": 1,
        "cat_smooth": 10.0,
        "cat_l2": 10.0,
        "min_data_per_group": min(min_leaf * 2, 100),
        "max_cat_threshold": 32,
        "seed": seed,
        "deterministic": True,
        "num_threads": cpu_threads(n_rows),
        "verbosity": -1,
    }


def _patience(rate: float) -> int:
    """Rounds without improvement before stopping: about two units of learning."""
    return max(50, math.ceil(2.0 / rate))


@dataclass
class GbmModel:
    """A fitted, calibrated LightGBM PD model (see the module's docstring)."""

    feature_names: list[str]
    #: Per categorical feature, its levels in code order; ``other`` pools rare ones.
    levels: dict[str, list[str]]
    boosters: list[lgb.Booster]
    calibration: PlattCalibration
    params: dict[str, Any] = field(default_factory=dict)
    kind: str = "gbm"
    _credits: PathCredits | None = field(default=None, repr=False, compare=False)

    # -- what the rows mean to the boosters ------------------------------------------------
    def matrix(self, frame: pd.DataFrame) -> np.ndarray:
        """The feature matrix the boosters read (categoricals as level codes)."""
        missing = [name for name in self.feature_names if name not in frame.columns]
        if missing:
            raise ModelError(f"the data lacks the model's column(s): {', '.join(missing)}")
        columns = []
        for name in self.feature_names:
            values = frame[name]
            if name in self.levels:
                columns.append(_codes(values, self.levels[name]))
            else:
                columns.append(pd.to_numeric(values, errors="coerce").to_numpy(dtype=float))
        return np.column_stack(columns) if columns else np.empty((len(frame), 0))

    def raw_log_odds(self, frame: pd.DataFrame) -> np.ndarray:
        """The boosters' average log-odds, before calibration."""
        matrix = self.matrix(frame)
        return np.mean([b.predict(matrix, raw_score=True) for b in self.boosters], axis=0)

    # -- PdModel ------------------------------------------------------------------------------
    def predict_pd(self, frame: pd.DataFrame) -> np.ndarray:
        return self.calibration.pd(self.raw_log_odds(frame))

    def contributions(self, frame: pd.DataFrame) -> np.ndarray:
        """Each feature's credit for each row's calibrated log-odds: the path attributions of
        the trees (:mod:`risk.models.tree_paths`; TreeSHAP costs ten times more, too much
        for a million borrowers), averaged over the bag, scaled by the Platt slope."""
        if self._credits is None:
            self._credits = PathCredits(self.boosters, len(self.feature_names))
        return self._credits.credits(self.matrix(frame)) * self.calibration.slope

    def reasons(self, frame: pd.DataFrame, *, top: int = 3,
                describe: Describe | None = None) -> list[list[Reason]]:
        values = frame[self.feature_names].astype(object).to_numpy()

        def wording(row: int, j: int) -> str:
            return generic_text(self.feature_names[j], values[row][j])

        return top_reasons(self.contributions(frame), values, self.feature_names, top=top,
                           describe=describe, wording=wording)

    def to_bytes(self) -> bytes:
        return orjson.dumps({
            "format": FORMAT, "feature_names": self.feature_names, "levels": self.levels,
            "calibration": self.calibration.to_dict(), "params": self.params,
            "boosters": [b.model_to_string() for b in self.boosters]})

    @classmethod
    def from_bytes(cls, payload: bytes) -> GbmModel:
        document = orjson.loads(payload)
        if document.get("format") != FORMAT:
            raise ModelError(f"not a {FORMAT} artefact (format {document.get('format')!r})")
        return cls(feature_names=list(document["feature_names"]),
                   levels={k: list(v) for k, v in document["levels"].items()},
                   boosters=[lgb.Booster(model_str=text) for text in document["boosters"]],
                   calibration=PlattCalibration.from_dict(document["calibration"]),
                   params=dict(document["params"]))


def _words(values: pd.Series) -> pd.Series:
    """A column's values as strings, missing as ``None``."""
    return values.astype(object).map(lambda v: None if is_missing(v) else str(v))


def _codes(values: pd.Series, levels: list[str]) -> np.ndarray:
    """Level codes (float, NaN for missing); unseen levels go to ``other`` when the model
    has one, else count as missing."""
    index = {level: float(i) for i, level in enumerate(levels)}
    other = index.get(_OTHER, math.nan) if levels and levels[-1] == _OTHER else math.nan
    return np.array([math.nan if v is None else index.get(v, other) for v in _words(values)],
                    dtype=float)


def _levels(values: pd.Series) -> list[str]:
    """The levels a categorical feature keeps, most frequent first, rare ones pooled."""
    counts = _words(values).value_counts()
    kept = [str(level) for level, count in counts.items() if count >= MIN_LEVEL_ROWS]
    if len(kept) < len(counts):
        kept = [level for level in kept if level != _OTHER] + [_OTHER]
    return kept


def _categorical(frame: pd.DataFrame, name: str) -> bool:
    dtype = frame[name].dtype
    return isinstance(dtype, pd.CategoricalDtype) or not (
        pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype))


def _inner_folds(y: np.ndarray) -> int:
    minority = int(min(y.sum(), len(y) - y.sum()))
    if minority < 2:
        raise ModelError(f"too few rows of one class to train on ({minority}); a model needs "
                         "both defaulters and non-defaulters")
    return min(INNER_FOLDS, minority)


def fit_gbm(frame: pd.DataFrame, y: np.ndarray, *, seed: int = 0) -> GbmModel:
    """Fit the calibrated LightGBM PD model on ``frame`` (numeric columns and pandas
    ``category`` columns) and 0/1 outcomes ``y`` (see the module's docstring).

    Raises :class:`ModelError` when one class has fewer than two rows.
    """
    labels = np.asarray(y).astype(int)
    names = [str(c) for c in frame.columns]
    levels = {name: _levels(frame[name]) for name in names if _categorical(frame, name)}
    model = GbmModel(feature_names=names, levels=levels, boosters=[],
                     calibration=PlattCalibration(1.0, 0.0))
    matrix = model.matrix(frame)
    categorical = [j for j, name in enumerate(names) if name in levels]
    params = default_params(len(labels), len(names), seed=seed)
    folds = StratifiedKFold(n_splits=_inner_folds(labels), shuffle=True, random_state=seed)
    held_out = np.zeros(len(labels))
    rounds = []
    for number, (learn, stop) in enumerate(folds.split(matrix, labels)):
        fold_params = {**params, "seed": seed + number}
        train_set = lgb.Dataset(matrix[learn], labels[learn], categorical_feature=categorical,
                                feature_name=[f"f{j}" for j in range(len(names))],
                                free_raw_data=False, params={"verbosity": -1})
        stop_set = train_set.create_valid(matrix[stop], labels[stop])
        booster = lgb.train(fold_params, train_set, num_boost_round=MAX_ROUNDS,
                            valid_sets=[stop_set],
                            callbacks=[lgb.early_stopping(_patience(params["learning_rate"]),
                                                          verbose=False)])
        best = booster.best_iteration or booster.current_iteration()
        trimmed = lgb.Booster(model_str=booster.model_to_string(num_iteration=best))
        held_out[stop] = trimmed.predict(matrix[stop], raw_score=True)
        model.boosters.append(trimmed)
        rounds.append(best)
    model.calibration = fit_platt(held_out, labels)
    model.params = {**params, "inner_folds": len(rounds), "rounds": rounds}
    return model
