"""The LightGBM PD model on generated data whose signal is known."""

from __future__ import annotations

import numpy as np
import orjson
import pandas as pd
import pytest

from risk.models.artefacts import model_from_bytes
from risk.models.errors import ModelError
from risk.models.gbm import fit_gbm
from risk.models.metrics import auc
from tests.models.tabular_samples import credit_sample


@pytest.fixture(scope="module")
def fitted():
    frame, y, log_odds = credit_sample(3000, seed=1)
    train = slice(0, 2000)
    test = slice(2000, None)
    model = fit_gbm(frame.iloc[train], y[train], seed=0)
    return model, frame.iloc[test].reset_index(drop=True), y[test], log_odds[test]


def test_it_ranks_nearly_as_well_as_the_true_log_odds(fitted) -> None:
    model, frame, y, log_odds = fitted
    ceiling = auc(y, log_odds)
    assert auc(y, model.predict_pd(frame)) > ceiling - 0.04


def test_its_pd_is_calibrated(fitted) -> None:
    model, frame, y, _ = fitted
    pd_ = model.predict_pd(frame)
    assert ((pd_ > 0) & (pd_ < 1)).all()
    assert pd_.mean() == pytest.approx(y.mean(), abs=0.02)
    top = np.argsort(pd_)[-len(pd_) // 5:]
    assert pd_[top].mean() == pytest.approx(y[top].mean(), abs=0.06)


def test_reasons_name_the_factor_that_raised_the_score(fitted) -> None:
    model, _, _, _ = fitted
    risky = pd.DataFrame({"utilisation": [0.99], "income": [50_000.0],
                          "purpose": pd.Categorical(["car"]), "noise": [0.0]})
    [reasons] = model.reasons(risky, top=3)
    assert reasons[0].feature == "utilisation"
    assert reasons[0].text == "utilisation = 0.99"
    assert all(r.contribution > 0 for r in reasons)
    assert [r.contribution for r in reasons] == sorted((r.contribution for r in reasons),
                                                       reverse=True)
    business = risky.assign(utilisation=0.5, income=600.0,
                            purpose=pd.Categorical(["business"]))
    [reasons] = model.reasons(business, top=2, describe=lambda f, v, row: (
        f"income of {v:.0f} a month" if f == "income" else None))
    assert {r.text for r in reasons} == {"income of 600 a month", "purpose = business"}


def test_an_unseen_level_and_text_in_a_numeric_column_are_scored(fitted) -> None:
    model, _, _, _ = fitted
    odd = pd.DataFrame({"utilisation": ["0.5"], "income": ["n/a"],
                        "purpose": ["yacht"], "noise": [0.0]})
    [value] = model.predict_pd(odd)
    assert 0 < value < 1


def test_the_artefact_round_trip_gives_identical_predictions(fitted) -> None:
    model, frame, _, _ = fitted
    again = model_from_bytes("gbm", model.to_bytes())
    assert np.array_equal(again.predict_pd(frame), model.predict_pd(frame))
    assert again.feature_names == model.feature_names
    assert b"pickle" not in model.to_bytes()[:100]


def test_a_damaged_artefact_or_unknown_kind_is_a_model_error(fitted) -> None:
    model, _, _, _ = fitted
    document = orjson.loads(model.to_bytes())
    document["boosters"] = ["not a LightGBM model"]
    with pytest.raises(ModelError, match="gbm artefact cannot be read"):
        model_from_bytes("gbm", orjson.dumps(document))
    with pytest.raises(ModelError, match="cannot be read"):
        model_from_bytes("scorecard", b"\x00garbage")
    with pytest.raises(ModelError, match="unknown model kind 'gnn-x'"):
        model_from_bytes("gnn-x", b"{}")
