"""Drift against stored reference bins: the same PSI as comparing with the training sample
itself, near zero for the same population, large for a shifted one, and unseen or missing
categories counted."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from risk.models.drift import psi_against, reference_bins
from risk.models.metrics import psi


def test_numeric_bins_give_the_psi_of_the_sample_they_summarise() -> None:
    rng = np.random.default_rng(2)
    train = rng.normal(size=5_000)
    train[:100] = np.nan
    later = rng.normal(0.5, 1.2, size=3_000)
    reference = reference_bins(train)
    assert psi_against(reference, later) == pytest.approx(psi(train, later), rel=1e-9)
    same = rng.normal(size=5_000)
    same[:100] = np.nan  # the same share missing: a missing bin that empties is a shift too
    assert psi_against(reference, same) < 0.02
    assert psi_against(reference, rng.normal(2.0, 1.0, size=5_000)) > 0.25


def test_categories_unseen_and_missing_count() -> None:
    train = pd.Series(pd.Categorical(["a"] * 500 + ["b"] * 500))
    reference = reference_bins(train)
    assert psi_against(reference, train) == pytest.approx(0.0, abs=1e-12)
    shifted = pd.Series(pd.Categorical(["a"] * 200 + ["c"] * 300 + [None] * 500))
    assert psi_against(reference, shifted) > 1.0
