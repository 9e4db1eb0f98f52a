"""What a rule is: the fields every rule has, and the parameters of each signal.

A rule is one entry of a rules file (see :mod:`risk.rules.loader` and
``risk/rules/default_rules.yaml``). ``signal`` picks the parameters; everything is checked
strictly (an integer field refuses ``"30"`` and ``30.5``, a fraction refuses ``1.5``) and a
field the signal does not know is an error, so that a typo never silently turns a rule off.
"""

from __future__ import annotations

from typing import Annotated, Final, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt

from risk.contagion.capacity import DEFAULT_CAPACITY_INCOME_MONTHS

__all__ = [
    "DEFAULT_COOLDOWN_DAYS",
    "MODEL_SIGNALS",
    "RULE_ID_PATTERN",
    "SEVERITIES",
    "SIGNALS",
    "BureauScoreDrop",
    "Concentration",
    "DaysPastDue",
    "ExternalEvent",
    "GuarantorOverextended",
    "InflowDrop",
    "MissedInstallments",
    "PdRise",
    "PdThreshold",
    "RelatedDefault",
    "Rule",
    "Severity",
    "severity_rank",
]

RULE_ID_PATTERN: Final = r"^[a-z0-9_-]{1,64}$"
DEFAULT_COOLDOWN_DAYS: Final = 30
MAX_COOLDOWN_DAYS: Final = 3650
MAX_WINDOW_DAYS: Final = 3650
#: The deepest ``related_default`` search (the graph stores' own limit).
MAX_RELATED_HOPS: Final = 6

Severity = Literal["low", "medium", "high", "critical"]
SEVERITIES: Final[tuple[str, ...]] = ("low", "medium", "high", "critical")

Fraction = Annotated[float, Field(gt=0, le=1)]
Days = Annotated[StrictInt, Field(ge=1, le=MAX_WINDOW_DAYS)]
Months = Annotated[StrictInt, Field(ge=1, le=120)]


def severity_rank(severity: str) -> int:
    """0 for ``low`` up to 3 for ``critical``: severities compare by rank."""
    return SEVERITIES.index(severity)


class _Rule(BaseModel):
    """The fields every rule has."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    id: Annotated[str, Field(pattern=RULE_ID_PATTERN)]
    severity: Severity
    description: Annotated[str, Field(min_length=1, max_length=500)]
    enabled: StrictBool = True
    cooldown_days: Annotated[StrictInt, Field(ge=0, le=MAX_COOLDOWN_DAYS)] = (
        DEFAULT_COOLDOWN_DAYS)


class DaysPastDue(_Rule):
    """A loan at least ``min_days`` past due on the as-of date."""

    signal: Literal["days_past_due"]
    min_days: Days


class MissedInstallments(_Rule):
    """A loan with at least ``count`` installments missed in the last ``within_months``."""

    signal: Literal["missed_installments"]
    count: Annotated[StrictInt, Field(ge=1, le=120)]
    within_months: Months


class InflowDrop(_Rule):
    """A party whose accounts' inflow in the last full month fell by at least
    ``drop_fraction`` against the average of the ``trailing_months`` before it."""

    signal: Literal["inflow_drop"]
    drop_fraction: Fraction
    trailing_months: Annotated[StrictInt, Field(ge=1, le=24)]


class BureauScoreDrop(_Rule):
    """A party whose bureau score fell by at least ``points`` within ``within_days``."""

    signal: Literal["bureau_score_drop"]
    points: Annotated[StrictInt, Field(ge=1, le=600)]
    within_days: Days


EventKind = Literal["court_case", "news", "social"]


class ExternalEvent(_Rule):
    """A party mentioned in an event of ``kinds`` of severity at least ``min_severity``
    (1..5) that occurred within ``within_days`` up to the as-of date."""

    signal: Literal["external_event"]
    kinds: Annotated[list[EventKind], Field(min_length=1)]
    min_severity: Annotated[StrictInt, Field(ge=1, le=5)] = 1
    within_days: Days


RelatedVia = Literal["GUARANTEES", "BORROWS", "OWNS", "DIRECTS", "CONTROLS", "RELATED", "HOLDS",
                     "USES"]


class RelatedDefault(_Rule):
    """A party within ``hops`` graph steps of a defaulted party, over edges of ``via``
    (a guarantee link is two steps: guarantor → loan → borrower)."""

    signal: Literal["related_default"]
    hops: Annotated[StrictInt, Field(ge=1, le=MAX_RELATED_HOPS)]
    via: Annotated[list[RelatedVia], Field(min_length=1)]


class GuarantorOverextended(_Rule):
    """A guarantor whose guaranteed total exceeds ``max_share`` of its capacity as the stress
    test defines it (:func:`risk.contagion.capacity.party_capacity`): its imported loss
    buffer, else a company's registered capital, else a person's monthly income ×
    ``income_multiple``."""

    signal: Literal["guarantor_overextended"]
    max_share: Annotated[float, Field(gt=0, le=100)]
    income_multiple: Annotated[float, Field(gt=0, le=1200)] = DEFAULT_CAPACITY_INCOME_MONTHS


class Concentration(_Rule):
    """A group, circle or sector holding more than ``max_share`` of the portfolio."""

    signal: Literal["concentration"]
    scope: Literal["group", "circle", "sector"]
    max_share: Fraction


class PdThreshold(_Rule):
    """A loan whose probability of default is at least ``threshold`` (needs a PD model)."""

    signal: Literal["pd_threshold"]
    threshold: Annotated[float, Field(gt=0, lt=1)]


class PdRise(_Rule):
    """A loan whose PD rose by at least ``points`` (absolute) within ``within_days``."""

    signal: Literal["pd_rise"]
    points: Fraction
    within_days: Days


Rule = Annotated[
    DaysPastDue | MissedInstallments | InflowDrop | BureauScoreDrop | ExternalEvent
    | RelatedDefault | GuarantorOverextended | Concentration | PdThreshold | PdRise,
    Field(discriminator="signal"),
]

SIGNALS: Final[tuple[str, ...]] = (
    "days_past_due", "missed_installments", "inflow_drop", "bureau_score_drop",
    "external_event", "related_default", "guarantor_overextended", "concentration",
    "pd_threshold", "pd_rise",
)
#: Signals that need the PD model of the models issue; validated now, skipped at evaluation.
MODEL_SIGNALS: Final = frozenset({"pd_threshold", "pd_rise"})
