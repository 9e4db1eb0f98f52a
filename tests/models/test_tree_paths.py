"""Path attributions of the trees: additive like TreeSHAP (a row's credits add up to its
log-odds less the trees' root values), the same credits whether rows come one by one or in
chunks, and the same top factor as TreeSHAP on most rows of a known signal."""

from __future__ import annotations

import lightgbm as lgb
import numpy as np
import pytest

from risk.models import tree_paths
from risk.models.tree_paths import PathCredits


@pytest.fixture(scope="module")
def bag() -> tuple[list[lgb.Booster], np.ndarray]:
    rng = np.random.default_rng(4)
    x = rng.normal(size=(3_000, 6))
    x[rng.random(x.shape) < 0.05] = np.nan  # missing values take the default branch
    logit = 1.5 * np.nan_to_num(x[:, 0]) - np.nan_to_num(x[:, 1]) + 0.5 * np.nan_to_num(
        x[:, 2]) * np.nan_to_num(x[:, 3])
    y = (rng.random(3_000) < 1 / (1 + np.exp(-logit))).astype(int)
    boosters = [lgb.train({"objective": "binary", "num_leaves": 7, "verbosity": -1,
                           "seed": s, "bagging_fraction": 0.8, "bagging_freq": 1},
                          lgb.Dataset(x, y), num_boost_round=60) for s in range(3)]
    return boosters, x


def _roots(booster: lgb.Booster) -> float:
    return sum(float(t["tree_structure"].get("internal_value",
                                              t["tree_structure"].get("leaf_value", 0.0)))
               for t in booster.dump_model()["tree_info"])


def test_credits_add_up_to_the_log_odds_less_the_roots(bag) -> None:
    boosters, x = bag
    credits = PathCredits(boosters, x.shape[1]).credits(x)
    raw = np.mean([b.predict(x, raw_score=True) for b in boosters], axis=0)
    roots = np.mean([_roots(b) for b in boosters])
    np.testing.assert_allclose(credits.sum(axis=1), raw - roots, atol=1e-9)


def test_chunks_change_nothing(bag, monkeypatch: pytest.MonkeyPatch) -> None:
    boosters, x = bag
    whole = PathCredits(boosters, x.shape[1]).credits(x)
    monkeypatch.setattr(tree_paths, "CHUNK_ROWS", 7)
    np.testing.assert_allclose(PathCredits(boosters, x.shape[1]).credits(x[:50]), whole[:50])


def test_the_top_factor_mostly_agrees_with_treeshap(bag) -> None:
    boosters, x = bag
    credits = PathCredits(boosters, x.shape[1]).credits(x)
    shap = np.mean([b.predict(x, pred_contrib=True) for b in boosters], axis=0)[:, :-1]
    agree = np.mean(np.argmax(credits, axis=1) == np.argmax(shap, axis=1))
    assert agree > 0.8
    # The features without signal get little credit either way.
    assert np.abs(credits[:, 4:]).mean() < 0.2 * np.abs(credits[:, :2]).mean()
