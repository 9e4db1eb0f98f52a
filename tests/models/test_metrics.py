"""Metrics against scikit-learn and hand-computed cases."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from risk.models.metrics import PSI_FLOOR, auc, brier, calibration_table, ks, psi


def test_auc_matches_scikit_learn_and_counts_ties_half() -> None:
    rng = np.random.default_rng(3)
    y = rng.integers(0, 2, 500)
    p = np.round(rng.random(500) + 0.3 * y, 1)  # many ties
    assert auc(y, p) == pytest.approx(roc_auc_score(y, p))
    assert auc([0, 1], [0.5, 0.5]) == 0.5
    assert auc([0, 0, 1, 1], [0.1, 0.2, 0.3, 0.4]) == 1.0


def test_ks_is_the_largest_gap_between_the_cumulative_distributions() -> None:
    # defaulters score 0.3, 0.8, 0.9; non-defaulters 0.1, 0.2, 0.4, 0.7.
    # At threshold 0.8: TPR 2/3, FPR 0 → KS 2/3.
    y = [0, 0, 1, 0, 0, 1, 1]
    p = [0.1, 0.2, 0.3, 0.4, 0.7, 0.8, 0.9]
    assert ks(y, p) == pytest.approx(2 / 3)
    assert ks([0, 1], [0.2, 0.9]) == 1.0


def test_brier_is_the_mean_squared_gap() -> None:
    assert brier([0, 1, 1, 0], [0.1, 0.8, 0.5, 0.0]) == pytest.approx(
        (0.01 + 0.04 + 0.25 + 0.0) / 4)


def test_a_ranking_metric_needs_both_classes() -> None:
    with pytest.raises(ValueError, match="both classes"):
        auc([1, 1, 1], [0.2, 0.3, 0.4])


def test_calibration_table_by_decile_lowest_pd_first() -> None:
    p = np.arange(100) / 100
    y = (np.arange(100) >= 90).astype(int)  # only the top decile defaults
    table = calibration_table(y, p)
    assert [row["count"] for row in table] == [10] * 10
    assert [row["observed_rate"] for row in table] == [0.0] * 9 + [1.0]
    assert table[0]["mean_pd"] == pytest.approx(0.045)
    assert table[-1]["min_pd"] == pytest.approx(0.9)


def test_psi_of_a_sample_against_itself_is_zero_and_grows_with_a_shift() -> None:
    rng = np.random.default_rng(0)
    base = rng.normal(size=5000)
    assert psi(base, base) == pytest.approx(0.0)
    small, large = psi(base, base + 0.1), psi(base, base + 1.0)
    assert 0 < small < 0.1 < 0.25 < large


def test_psi_by_hand_with_missing_values_as_their_own_bin() -> None:
    expected = [1.0, 2.0, 3.0, 4.0, math.nan, math.nan]
    actual = [1.0, 1.0, 1.0, 4.0, 4.0, math.nan]
    # bins=2 cuts the expected sample at its median 2.5: (≤2.5, >2.5, missing)
    e = np.array([2, 2, 2]) / 6
    a = np.array([3, 2, 1]) / 6
    assert psi(expected, actual, bins=2) == pytest.approx(float(np.sum((a - e) * np.log(a / e))))


def test_psi_of_categories_counts_unseen_levels_and_floors_empty_bins() -> None:
    expected = pd.Series(["a", "a", "b", "b"], dtype="category")
    actual = pd.Series(["a", "a", "a", "c"])
    e = np.array([0.5, 0.5, PSI_FLOOR, PSI_FLOOR])  # a, b, unseen, missing
    a = np.array([0.75, PSI_FLOOR, 0.25, PSI_FLOOR])
    assert psi(expected, actual) == pytest.approx(float(np.sum((a - e) * np.log(a / e))))
