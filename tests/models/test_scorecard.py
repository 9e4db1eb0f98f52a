"""The WoE scorecard: monotone bins, missing values in their own bin, points to double the
odds, adverse-action reason codes, and its artefact."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from risk.models.artefacts import model_from_bytes
from risk.models.metrics import auc
from risk.models.scorecard import fit_scorecard
from risk.models.woe_binning import MIN_BIN_SHARE, bin_feature
from tests.models.tabular_samples import credit_sample


@pytest.fixture(scope="module")
def fitted():
    frame, y, log_odds = credit_sample(3000, seed=2)
    model = fit_scorecard(frame.iloc[:2000], y[:2000], seed=0)
    return model, frame.iloc[2000:].reset_index(drop=True), y[2000:], log_odds[2000:]


def test_numeric_bins_have_a_monotone_default_rate_and_a_missing_bin() -> None:
    rng = np.random.default_rng(5)
    x = rng.normal(size=4000)
    y = (rng.random(4000) < 1 / (1 + np.exp(-(x ** 3)))).astype(int)  # rising, not linear
    x[:400] = np.nan
    y[:400] = 1  # missing values are all defaulters
    binning = bin_feature("score", pd.Series(x), y)
    rates = [e / n for e, n in zip(binning.events[:-1], binning.rows[:-1], strict=True)]
    assert rates == sorted(rates)
    assert len(rates) >= 4
    assert min(binning.rows[:-1]) >= MIN_BIN_SHARE * 4000
    assert binning.rows[-1] == 400 and binning.woe[-1] == max(binning.woe)
    assert binning.describe(len(binning.edges) + 1, None) == "missing score"
    assert binning.describe(0, None).startswith("score below ")


def test_rare_levels_are_pooled_and_unseen_ones_go_with_them() -> None:
    levels = ["a"] * 500 + ["b"] * 480 + ["z1", "z2"] * 4
    y = np.array([0, 1] * 250 + [0] * 480 + [1] * 8)
    binning = bin_feature("kind", pd.Series(levels, dtype="category"), y)
    pooled = next(g for g in binning.groups if "other" in g)
    assert "z1" not in {level for g in binning.groups for level in g}
    codes = binning.codes(pd.Series(["z1", "never-seen", "b", None]))
    assert codes[0] == codes[1] == binning.groups.index(pooled)
    assert codes[3] == len(binning.groups)  # the missing bin


def test_it_ranks_well_and_is_calibrated(fitted) -> None:
    model, frame, y, log_odds = fitted
    predicted = model.predict_pd(frame)
    assert auc(y, predicted) > auc(y, log_odds) - 0.04
    assert predicted.mean() == pytest.approx(y.mean(), abs=0.02)
    assert "noise" not in model.feature_names  # screened out by information value


def test_points_double_the_odds_every_pdo(fitted) -> None:
    model, frame, _, _ = fitted
    pd_ = model.predict_pd(frame)
    points = model.score_points(frame)
    odds = (1 - pd_) / pd_  # good:bad
    expected = 600 + 20 * np.log(odds / 50) / math.log(2)
    assert points == pytest.approx(expected, abs=1e-6)
    table = model.points_table()
    assert table[0]["bin"] == "base points"
    total = table[0]["points"] + sum(
        max(r["points"] for r in table[1:] if r["feature"] == name)
        for name in model.feature_names)
    assert total == pytest.approx(points.max(), abs=0.1 * (len(model.feature_names) + 1) + 1)


def test_reasons_are_the_bins_that_lost_most_points_in_words(fitted) -> None:
    model, _, _, _ = fitted
    row = pd.DataFrame({"utilisation": [0.97], "income": [np.nan], "purpose": ["business"],
                        "noise": [0.0]})
    [reasons] = model.reasons(row, top=3)
    texts = [r.text for r in reasons]
    assert texts[0].startswith("utilisation ") and texts[0].endswith(" or more")
    assert "purpose = business" in texts
    contributions = [r.contribution for r in reasons]
    assert contributions == sorted(contributions, reverse=True) and min(contributions) > 0


def test_the_artefact_is_json_and_round_trips_exactly(fitted) -> None:
    model, frame, _, _ = fitted
    payload = model.to_bytes()
    assert payload.startswith(b"{")
    again = model_from_bytes("scorecard", payload)
    assert np.array_equal(again.predict_pd(frame), model.predict_pd(frame))
    assert again.pdo == 20.0 and again.base_points == 600.0 and again.base_odds == 50.0
