"""IFRS 9 staging thresholds and the expected-credit-loss settings, as one frozen dataclass
with documented defaults, and the ``[provisioning]`` table of a TOML file.

PD: a model's score per loan when the caller gives one, else the annual PD per five-tier
tier (scaled per product). LGD: estimated from the book's own workouts by
:mod:`risk.models.lgd`, by collateral kind and coverage, each segment blended with the
priors set here. EAD: :mod:`risk.models.ead`, with the credit conversion factors set here.
Macro scenarios scale PD and LGD with weights that sum to 1.
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, Final

from risk.classification.errors import ClassificationConfigError
from risk.classification.tiers import Tier
from risk.models.lgd import LgdSettings

__all__ = ["DEFAULT_ANNUAL_PD", "DEFAULT_PROVISIONING", "DEFAULT_SCENARIOS", "ProvisioningConfig",
           "Scenario", "load_provisioning_config", "provisioning_from_mapping"]

#: Annual probability of default by tier (a rules-based rating proxy).
DEFAULT_ANNUAL_PD: Final = MappingProxyType({
    Tier.PASS: 0.01, Tier.SPECIAL_MENTION: 0.08, Tier.SUBSTANDARD: 0.35,
    Tier.DOUBTFUL: 0.70, Tier.LOSS: 1.0})


@dataclass(frozen=True, slots=True)
class Scenario:
    """A macro scenario: its weight, and the factors it applies to PD (capped at 1) and LGD."""

    name: str
    weight: float
    pd_factor: float = 1.0
    lgd_factor: float = 1.0


DEFAULT_SCENARIOS: Final = (Scenario("base", 0.6), Scenario("upside", 0.15, 0.8, 0.9),
                            Scenario("downside", 0.25, 1.6, 1.2))


@dataclass(frozen=True, slots=True)
class ProvisioningConfig:
    """IFRS 9 settings.

    Attributes:
        backstop_dpd: more than this many days past due is a significant increase in
            credit risk (stage 2), whatever the PD says (30).
        impaired_dpd: more than this many days past due is credit-impaired (stage 3), a
            rebuttable presumption (90); ``impaired_presumption``: False rebuts it for the
            whole book (then only a non-performing tier makes stage 3).
        sicr_pd_ratio: stage 2 when the annual PD now is at least this multiple of the PD at
            origination (2.0). The PD at origination is the loan's stored
            ``origination_pd`` when it has one, else the Pass PD of the loan's product: a
            lender originates only loans it rates Pass (the rating proxy).
        forbearance_months: a loan restructured for financial difficulty within this many
            months is forborne: at least stage 2 (24, the usual probation).
        annual_pd: annual PD by tier; ``product_pd_factor``: a multiplier per product code.
        lgd_unsecured: the LGD prior of unsecured loans (0.45); ``lgd_secured``: the prior
            of a loan fully covered by collateral of a kind ``lgd_collateral`` (kind ->
            prior) does not name (0.25). Partly covered bands mix the two
            (:mod:`risk.models.lgd`).
        lgd_credibility: k of the credibility weight n / (n + k) a segment's n observed
            workouts get against its prior (50).
        lgd_floor: no segment's LGD goes below it (0.05).
        lgd_workout_months: a workout counts once its default is this old, or the loan is
            repaid (12).
        lgd_count_undisposed: count a secured workout on its cash recoveries alone, before
            its collateral disposal is recorded (False: it waits for the disposal).
        ccf: credit conversion factor per product for undrawn amounts; ``ccf_default``
            for the others (1.0).
        scenarios: weighted macro scenarios (weights sum to 1).
    """

    backstop_dpd: int = 30
    impaired_dpd: int = 90
    impaired_presumption: bool = True
    sicr_pd_ratio: float = 2.0
    forbearance_months: int = 24
    annual_pd: Mapping[Tier, float] = field(default_factory=lambda: DEFAULT_ANNUAL_PD)
    product_pd_factor: Mapping[str, float] = field(default_factory=dict)
    lgd_secured: float = 0.25
    lgd_unsecured: float = 0.45
    lgd_collateral: Mapping[str, float] = field(default_factory=dict)
    lgd_credibility: float = 50.0
    lgd_floor: float = 0.05
    lgd_workout_months: int = 12
    lgd_count_undisposed: bool = False
    ccf: Mapping[str, float] = field(default_factory=dict)
    ccf_default: float = 1.0
    scenarios: tuple[Scenario, ...] = DEFAULT_SCENARIOS

    def __post_init__(self) -> None:
        if not 0 <= self.backstop_dpd < self.impaired_dpd:
            raise ClassificationConfigError(
                "backstop_dpd must be at least 0 and below impaired_dpd, got "
                f"{self.backstop_dpd} and {self.impaired_dpd}")
        if set(self.annual_pd) != set(Tier):
            raise ClassificationConfigError("annual_pd must give a PD for every tier")
        for tier, pd in self.annual_pd.items():
            if not 0 <= pd <= 1:
                raise ClassificationConfigError(f"annual_pd.{tier.slug} must lie in [0, 1]")
        self.lgd_settings()  # checks every LGD setting, naming it
        for product, factor in {**self.ccf, "(default)": self.ccf_default}.items():
            if not 0 <= factor <= 1:
                raise ClassificationConfigError(f"ccf.{product} must lie in [0, 1], got "
                                                f"{factor}")
        for product, factor in self.product_pd_factor.items():
            if factor < 0:
                raise ClassificationConfigError(f"product_pd_factor.{product} is negative")
        if self.sicr_pd_ratio <= 1:
            raise ClassificationConfigError("sicr_pd_ratio must be above 1")
        if not self.scenarios:
            raise ClassificationConfigError("at least one scenario is needed")
        for s in self.scenarios:
            if s.weight < 0 or s.pd_factor < 0 or s.lgd_factor < 0:
                raise ClassificationConfigError(f"scenario {s.name!r}: negative weight or "
                                                "factor")
        total = math.fsum(s.weight for s in self.scenarios)
        if abs(total - 1) > 1e-9:
            raise ClassificationConfigError(f"scenario weights must sum to 1, got {total}")

    def lgd_settings(self) -> LgdSettings:
        """The LGD settings, for :mod:`risk.models.lgd` (the default days are
        ``impaired_dpd``: default is what stage 3 presumes)."""
        return LgdSettings(prior_unsecured=self.lgd_unsecured, prior_secured=self.lgd_secured,
                           prior_by_kind=self.lgd_collateral, credibility=self.lgd_credibility,
                           floor=self.lgd_floor, workout_months=self.lgd_workout_months,
                           default_dpd=self.impaired_dpd,
                           count_undisposed=self.lgd_count_undisposed)


DEFAULT_PROVISIONING: Final = ProvisioningConfig()

_SCALARS: Final = ("backstop_dpd", "impaired_dpd", "impaired_presumption", "sicr_pd_ratio",
                   "forbearance_months", "lgd_secured", "lgd_unsecured", "lgd_credibility",
                   "lgd_floor", "lgd_workout_months", "lgd_count_undisposed", "ccf_default")
_TABLES: Final = ("product_pd_factor", "lgd_collateral", "ccf")


def provisioning_from_mapping(values: Mapping[str, Any], *, where: str) -> ProvisioningConfig:
    """A config from a ``[provisioning]`` table, every key and value checked."""
    changes: dict[str, Any] = {}
    try:
        for key, value in values.items():
            if key in _SCALARS:
                default = getattr(DEFAULT_PROVISIONING, key)
                if isinstance(default, bool) != isinstance(value, bool) or not isinstance(
                        value, int | float):
                    raise ValueError(f"{key}: expected {type(default).__name__}, got {value!r}")
                changes[key] = type(default)(value)
            elif key == "annual_pd":
                pds = dict(DEFAULT_ANNUAL_PD)
                for name, pd in dict(value).items():
                    pds[Tier.from_slug(name)] = float(pd)
                changes[key] = MappingProxyType(pds)
            elif key in _TABLES:
                changes[key] = {str(k): _number(f"{key}.{k}", v)
                                for k, v in dict(value).items()}
            elif key == "scenarios":
                changes[key] = tuple(
                    Scenario(str(s["name"]), float(s["weight"]), float(s.get("pd_factor", 1)),
                             float(s.get("lgd_factor", 1))) for s in value)
            else:
                raise ValueError(f"unknown setting {key!r}")
        return ProvisioningConfig(**changes)
    except (ValueError, TypeError, KeyError) as exc:
        raise ClassificationConfigError(f"{where}: {exc}") from exc
    except ClassificationConfigError as exc:
        raise ClassificationConfigError(f"{where}: {exc.message}") from exc


def _number(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{name}: expected a number, got {value!r}")
    return float(value)


def load_provisioning_config(path: Path) -> ProvisioningConfig:
    """The ``[provisioning]`` table of the TOML file ``path`` over the defaults.

    Raises:
        ClassificationConfigError: unreadable file, unknown key or bad value (named).
    """
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ClassificationConfigError(f"{path}: cannot read the settings: {exc}") from exc
    return provisioning_from_mapping(document.get("provisioning", {}),
                                     where=f"{path} [provisioning]")
