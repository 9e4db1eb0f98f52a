"""The review policy: the shipped file is the default policy; next dates by tier and PD;
a file with gaps or bad values is refused with every problem, each naming its field."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from risk.classification.tiers import Tier
from risk.reviews.errors import PolicyError
from risk.reviews.policy import (
    DEFAULT_INTERVALS,
    DEFAULT_POLICY,
    DEFAULT_POLICY_FILE,
    load_policy,
    policy_from_mapping,
)

FULL = {"intervals_months": {"pass": 12, "special_mention": 3, "substandard": 1,
                             "doubtful": 1, "loss": 1}}


def test_the_shipped_file_is_the_default_policy() -> None:
    shipped = load_policy(DEFAULT_POLICY_FILE)

    assert shipped.intervals_months == DEFAULT_INTERVALS == DEFAULT_POLICY.intervals_months
    assert (shipped.high_pd, shipped.high_pd_interval_months) == (0.2, 1)
    assert shipped.route.large_exposure == {"CNY": Decimal("5000000.00")}
    assert shipped.route.flags == DEFAULT_POLICY.route.flags
    assert shipped.route.alert_severities == frozenset({"high", "critical"})


@pytest.mark.parametrize(("tier", "pd", "expected"), [
    (Tier.PASS, 0.01, date(2026, 1, 31)),
    (Tier.SPECIAL_MENTION, None, date(2025, 4, 30)),
    (Tier.SUBSTANDARD, 0.01, date(2025, 2, 28)),  # the 31st clamped to February's end
    (Tier.LOSS, 1.0, date(2025, 2, 28)),
    (Tier.PASS, 0.25, date(2025, 2, 28)),  # a high PD brings a Pass loan's review forward
])
def test_the_next_review_follows_the_tier_and_the_pd(tier: Tier, pd: float | None,
                                                     expected: date) -> None:
    assert DEFAULT_POLICY.next_review(date(2025, 1, 31), tier, pd) == expected


def test_a_policy_from_settings_values() -> None:
    policy = policy_from_mapping({**FULL, "high_pd": 0.5, "high_pd_interval_months": 2,
                                  "route": {"large_exposure": {"USD": 10_000},
                                            "triggered": False, "flags": []}},
                                 where="settings")

    assert policy.interval(Tier.PASS, 0.6) == 2
    assert policy.route.large_exposure == {"USD": Decimal(10_000)}
    assert (policy.route.triggered, policy.route.flags, policy.source) == (
        False, frozenset(), "settings")


def test_a_policy_file_with_gaps_names_every_field_at_fault(tmp_path: Path) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text("intervals_months: {pass: 12, special_mention: 3, substandard: 0,\n"
                    "  worst: 1}\nhigh_pd: 1.5\nroute:\n  large_exposure: {cny: 5, USD: -1}\n"
                    "  alert_severities: [dire]\n  colour: red\nextra: 1\n")

    with pytest.raises(PolicyError) as caught:
        load_policy(path)

    problems = caught.value.problems
    assert caught.value.where == str(path)
    assert problems == [
        "extra: unknown field; one of: high_pd, high_pd_interval_months, intervals_months, "
        "route, version",
        "intervals_months.worst: not a tier; one of: pass, special_mention, substandard, "
        "doubtful, loss",
        "intervals_months.substandard: must be a whole number of months from 1 to 60, got 0",
        "intervals_months.doubtful: missing (every tier needs its interval)",
        "intervals_months.loss: missing (every tier needs its interval)",
        "high_pd: must be a probability in (0, 1], got 1.5",
        "route.colour: unknown field; one of: alert_severities, downgrade, flags, "
        "large_exposure, triggered",
        "route.large_exposure.cny: a currency is three capital letters (CNY)",
        "route.large_exposure.USD: must be a positive amount written as a string or an "
        "integer (\"5000000.00\"), got -1",
        "route.alert_severities: unknown 'dire'; one of: low, medium, high, critical",
    ]
    assert str(path) in str(caught.value)


def test_a_policy_file_that_is_not_yaml_or_missing_says_where(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("intervals_months: {pass: 12\n")
    with pytest.raises(PolicyError, match="line 2: not valid YAML"):
        load_policy(broken)
    with pytest.raises(PolicyError, match="cannot be read"):
        load_policy(tmp_path / "absent.yaml")
    with pytest.raises(PolicyError, match="intervals_months: must map every tier"):
        policy_from_mapping({"high_pd": 0.3})
