"""Thresholds of the five-tier classification, as one frozen dataclass with documented
defaults, and a TOML loader that checks every key.

The defaults follow China's 2023 Measures for the Risk Classification of Financial Assets
of Commercial Banks (商业银行金融资产风险分类办法, CBIRC/PBoC order 2023 No. 1); see the
README's "Classification and provisioning" section for the provisions each one stands for.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any, Final

from risk.classification.errors import ClassificationConfigError
from risk.classification.tiers import Tier

__all__ = ["DEFAULT_CLASSIFICATION", "ClassificationConfig", "config_from_mapping",
           "load_classification_config"]

#: Overdue floors: more than this many days past due makes a loan at least the tier.
DEFAULT_SUBSTANDARD_DAYS: Final = 90
DEFAULT_DOUBTFUL_DAYS: Final = 270
DEFAULT_LOSS_DAYS: Final = 360


@dataclass(frozen=True, slots=True)
class ClassificationConfig:
    """Every threshold of the five-tier rules.

    Attributes:
        special_mention_days: more than this many days past due is at least Special mention
            (0: any overdue principal or interest).
        substandard_days, doubtful_days, loss_days: more than this many days past due is at
            least Substandard (90), Doubtful (270), Loss (360).
        upgrade_min_periods, upgrade_min_months: a non-performing loan returns to a
            performing tier only once its arrears are repaid and it has then paid on time
            for at least this many consecutive installments AND this many months, whichever
            is longer (2 periods or 6 months).
        debtor_npl_share: when more than this share of a non-retail debtor's exposure with
            us is non-performing, all of its exposure is (10%).
        bureau_overdue_share: a non-retail debtor whose debts more than 90 days overdue at
            all lenders exceed this share of its debts there is at least Substandard (20%).
        observation_months, observation_min_periods: a restructured loan's observation
            period lasts at least this many months and this many repayment periods (1 year,
            2 periods) from the first repayment date after the modification.
        restructured_overdue_tier: the floor of a restructured loan that is overdue, or is
            restructured again, during its observation period (Substandard).
        unknown_borrower_retail: how a borrower that is neither a Person nor a Company node
            is treated; False (the default) applies the stricter non-retail rules.
    """

    special_mention_days: int = 0
    substandard_days: int = DEFAULT_SUBSTANDARD_DAYS
    doubtful_days: int = DEFAULT_DOUBTFUL_DAYS
    loss_days: int = DEFAULT_LOSS_DAYS
    upgrade_min_periods: int = 2
    upgrade_min_months: int = 6
    debtor_npl_share: float = 0.10
    bureau_overdue_share: float = 0.20
    observation_months: int = 12
    observation_min_periods: int = 2
    restructured_overdue_tier: Tier = Tier.SUBSTANDARD
    unknown_borrower_retail: bool = False

    def __post_init__(self) -> None:
        days = (self.special_mention_days, self.substandard_days, self.doubtful_days,
                self.loss_days)
        if any(d < 0 for d in days) or list(days) != sorted(days) or len(set(days)) != 4:
            raise ClassificationConfigError(
                "the overdue floors must be non-negative and increase: special_mention_days "
                f"< substandard_days < doubtful_days < loss_days, got {days}")
        for name in ("debtor_npl_share", "bureau_overdue_share"):
            value = getattr(self, name)
            if not 0 <= value < 1:
                raise ClassificationConfigError(f"{name} must lie in [0, 1), got {value}")
        for name in ("upgrade_min_periods", "upgrade_min_months", "observation_months",
                     "observation_min_periods"):
            if getattr(self, name) < 0:
                raise ClassificationConfigError(f"{name} must not be negative")

    def overdue_floor(self, days_past_due: int) -> Tier:
        """The tier the overdue rules alone set for ``days_past_due``."""
        if days_past_due > self.loss_days:
            return Tier.LOSS
        if days_past_due > self.doubtful_days:
            return Tier.DOUBTFUL
        if days_past_due > self.substandard_days:
            return Tier.SUBSTANDARD
        if days_past_due > self.special_mention_days:
            return Tier.SPECIAL_MENTION
        return Tier.PASS


DEFAULT_CLASSIFICATION: Final = ClassificationConfig()


def config_from_mapping(values: dict[str, Any], *, where: str) -> ClassificationConfig:
    """A config from the ``[classification]`` table of a file, every key checked."""
    known = {f.name: f for f in fields(ClassificationConfig)}
    changes: dict[str, Any] = {}
    for key, value in values.items():
        if key not in known:
            raise ClassificationConfigError(
                f"{where}: unknown setting {key!r}; known: {', '.join(sorted(known))}")
        default = getattr(DEFAULT_CLASSIFICATION, key)
        try:
            if isinstance(default, Tier):
                changes[key] = Tier.from_slug(str(value))
            elif isinstance(default, bool):
                if not isinstance(value, bool):
                    raise ValueError(f"expected true or false, got {value!r}")
                changes[key] = value
            elif isinstance(default, int):
                if isinstance(value, bool) or not isinstance(value, int):
                    raise ValueError(f"expected a whole number, got {value!r}")
                changes[key] = value
            else:
                if isinstance(value, bool) or not isinstance(value, int | float):
                    raise ValueError(f"expected a number, got {value!r}")
                changes[key] = float(value)
        except ValueError as exc:
            raise ClassificationConfigError(f"{where}: {key}: {exc}") from exc
    try:
        return replace(DEFAULT_CLASSIFICATION, **changes)
    except ClassificationConfigError as exc:
        raise ClassificationConfigError(f"{where}: {exc.message}") from exc


def load_classification_config(path: Path) -> ClassificationConfig:
    """The ``[classification]`` table of the TOML file ``path`` over the defaults.

    Raises:
        ClassificationConfigError: the file cannot be read or parsed, or a key is unknown
            or has a bad value (the message names file and key).
    """
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ClassificationConfigError(f"{path}: cannot read the settings: {exc}") from exc
    table = document.get("classification", {})
    if not isinstance(table, dict):
        raise ClassificationConfigError(f"{path}: [classification] must be a table")
    return config_from_mapping(table, where=f"{path} [classification]")
