"""PortfolioConfig: defaults, derived counts, and clear errors for bad values."""

from __future__ import annotations

import dataclasses
from datetime import date

import pytest

from loanwatch.errors import ConfigurationError
from seeds.config import InvalidPortfolioConfig, PortfolioConfig


def test_defaults_match_the_documented_portfolio() -> None:
    config = PortfolioConfig()
    assert (config.borrowers, config.seed, config.months) == (1_000, 7, 24)
    assert config.company_share == 0.10
    assert (config.companies, config.persons) == (100, 900)
    assert (config.group_depth_min, config.group_depth_max) == (2, 5)
    assert (config.circle_size_min, config.circle_size_max) == (3, 12)
    assert (config.ring_size_min, config.ring_size_max) == (3, 8)
    assert isinstance(config.as_of, date)


def test_counts_scale_with_the_portfolio() -> None:
    small, large = PortfolioConfig(borrowers=10_000), PortfolioConfig(borrowers=1_000_000)
    assert large.resolved_group_count == 100 * small.resolved_group_count
    assert large.resolved_ring_count == 100 * small.resolved_ring_count
    assert 3 <= small.resolved_circle_count < large.resolved_circle_count
    assert PortfolioConfig(borrowers=1_000_000, circle_count=5).resolved_circle_count == 5


@pytest.mark.parametrize(("field", "value"), [
    ("borrowers", 10), ("borrowers", True), ("borrowers", 1.5), ("company_share", 1.5),
    ("seed", -1), ("months", 3), ("group_depth_min", 1), ("group_depth_max", 6),
    ("circle_size_min", 2), ("circle_size_max", 13), ("ring_size_min", 2),
    ("ring_size_max", 9), ("guarantee_reciprocity", -0.1), ("contagion_strength", -1.0),
    ("base_default_intensity", 0.0), ("bureau_every_months", 0),
    ("transaction_months", 25), ("as_of", "2025-06-30"), ("circle_count", 10_000),
])
def test_bad_values_are_rejected_naming_the_field(field: str, value: object) -> None:
    with pytest.raises(InvalidPortfolioConfig, match=field):
        PortfolioConfig(**{field: value})  # type: ignore[arg-type]


def test_max_below_min_is_rejected() -> None:
    with pytest.raises(InvalidPortfolioConfig, match="ring_size_max"):
        PortfolioConfig(ring_size_min=6, ring_size_max=4)


def test_error_is_a_configuration_error_and_a_value_error() -> None:
    with pytest.raises(ConfigurationError):
        PortfolioConfig(months=0)
    with pytest.raises(ValueError):
        PortfolioConfig(months=0)


def test_config_is_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        PortfolioConfig().seed = 8  # type: ignore[misc]
