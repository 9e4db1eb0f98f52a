"""Classification and provisioning settings: defaults, files, and bad values named."""

from __future__ import annotations

from pathlib import Path

import pytest

from risk.classification.config import ClassificationConfig, load_classification_config
from risk.classification.errors import ClassificationConfigError
from risk.classification.provisioning_config import (
    ProvisioningConfig,
    Scenario,
    load_provisioning_config,
)
from risk.classification.tiers import Tier


def test_a_file_overrides_the_defaults(tmp_path: Path) -> None:
    path = tmp_path / "risk.toml"
    path.write_text("""
[classification]
substandard_days = 60
restructured_overdue_tier = "doubtful"

[provisioning]
backstop_dpd = 15
annual_pd = { pass = 0.02 }
scenarios = [{ name = "base", weight = 0.5 }, { name = "down", weight = 0.5, pd_factor = 2 }]
""", encoding="utf-8")
    classification = load_classification_config(path)
    assert (classification.substandard_days, classification.restructured_overdue_tier) == (
        60, Tier.DOUBTFUL)
    assert classification.overdue_floor(61) is Tier.SUBSTANDARD
    provisioning = load_provisioning_config(path)
    assert provisioning.backstop_dpd == 15
    assert provisioning.annual_pd[Tier.PASS] == 0.02
    assert provisioning.scenarios[1] == Scenario("down", 0.5, 2.0, 1.0)


@pytest.mark.parametrize(("text", "message"), [
    ("[classification]\nloss_days = 100\n", "must be non-negative and increase"),
    ("[classification]\ndebtor_npl_share = 1.5\n", "debtor_npl_share must lie in [0, 1)"),
    ("[classification]\nsubstandard_days = 'ninety'\n", "substandard_days: expected a whole"),
    ("[provisioning]\nscenarios = [{ name = 'a', weight = 0.5 }]\n", "weights must sum to 1"),
    ("[provisioning]\nlgd_secured = 2\n", "lgd_secured must lie in [0, 1]"),
    ("[provisioning]\nannual_pd = { great = 0.1 }\n", "unknown tier 'great'"),
    ("[classification\n", "cannot read the settings"),
])
def test_bad_settings_name_the_file_and_the_key(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "risk.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ClassificationConfigError) as caught:
        load_classification_config(path)
        load_provisioning_config(path)
    assert message in caught.value.message and str(path) in caught.value.message


def test_the_defaults_are_the_measures(tmp_path: Path) -> None:
    config = ClassificationConfig()
    assert [config.overdue_floor(d) for d in (0, 1, 90, 91, 270, 271, 360, 361)] == [
        Tier.PASS, Tier.SPECIAL_MENTION, Tier.SPECIAL_MENTION, Tier.SUBSTANDARD,
        Tier.SUBSTANDARD, Tier.DOUBTFUL, Tier.DOUBTFUL, Tier.LOSS]
    assert ProvisioningConfig().scenarios[0].name == "base"
