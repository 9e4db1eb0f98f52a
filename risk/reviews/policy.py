"""The review policy: when a loan is next reviewed, and when a review goes to a human.

Next review: every tier names its interval in months (by default monthly for Substandard and
worse, quarterly for Special mention, yearly for Pass); a borrower whose PD is at least
``high_pd`` is reviewed at least every ``high_pd_interval_months`` whatever its tier (the
"and risk" of the schedule). Routing to the human review queue (each rule can be turned off):

* ``downgrade``: the tier is worse than the loan's previous review (or, before its first
  review, than the latest scan before the date);
* ``large_exposure``: the borrower's graph exposure (its own loans and the guarantees it
  gave, in one currency) is at least the threshold of that currency;
* ``flags``: the scan flagged the loan for a non-performing guarantor, controlling owner or
  circle partner (a guarantee circle in trouble) - the flag kinds listed;
* ``alert_severities``: a live early-warning alert of one of these severities on the loan or
  its parties;
* ``triggered``: every triggered review goes to a human.

The file is YAML with exactly these keys (see :data:`DEFAULT_POLICY_FILE`); every tier must
be named, and every problem is reported at once, each with its field::

    intervals_months: {pass: 12, special_mention: 3, substandard: 1, doubtful: 1, loss: 1}
    high_pd: 0.2
    high_pd_interval_months: 1
    route:
      downgrade: true
      large_exposure: {CNY: "5000000.00"}
      flags: [circle_partner, guarantor]
      alert_severities: [high, critical]
      triggered: true
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Final

import numpy as np
import yaml

from risk.classification.book import day_number, to_date
from risk.classification.delinquency import add_months
from risk.classification.graph_flags import FLAG_KINDS
from risk.classification.tiers import Tier
from risk.reviews.errors import PolicyError

__all__ = ["DEFAULT_INTERVALS", "DEFAULT_POLICY", "DEFAULT_POLICY_FILE", "ReviewPolicy",
           "RoutePolicy", "load_policy", "policy_from_mapping"]

#: The shipped policy, documented line by line.
DEFAULT_POLICY_FILE: Final = Path(__file__).with_name("default_policy.yaml")
#: Months to the next review, by tier.
DEFAULT_INTERVALS: Final[Mapping[Tier, int]] = {
    Tier.PASS: 12, Tier.SPECIAL_MENTION: 3, Tier.SUBSTANDARD: 1, Tier.DOUBTFUL: 1,
    Tier.LOSS: 1}
_SEVERITIES: Final = ("low", "medium", "high", "critical")
_MAX_INTERVAL_MONTHS: Final = 60


@dataclass(frozen=True, slots=True)
class RoutePolicy:
    """When a review goes to the human review queue (see the module)."""

    downgrade: bool = True
    #: Currency -> the exposure at or above which a review is routed.
    large_exposure: Mapping[str, Decimal] = field(default_factory=dict)
    flags: frozenset[str] = frozenset({"circle_partner", "guarantor"})
    alert_severities: frozenset[str] = frozenset({"high", "critical"})
    triggered: bool = True


@dataclass(frozen=True, slots=True)
class ReviewPolicy:
    """The schedule and the routing rules (see the module)."""

    intervals_months: Mapping[Tier, int] = field(default_factory=lambda: dict(DEFAULT_INTERVALS))
    high_pd: float = 0.2
    high_pd_interval_months: int = 1
    route: RoutePolicy = field(default_factory=RoutePolicy)
    #: Where it came from, for errors and the review's record.
    source: str = "default"

    def interval(self, tier: Tier, pd: float | None) -> int:
        """Months to the next review of a loan of ``tier`` whose borrower's PD is ``pd``."""
        months = self.intervals_months[tier]
        if pd is not None and pd >= self.high_pd:
            months = min(months, self.high_pd_interval_months)
        return months

    def next_review(self, as_of: date, tier: Tier, pd: float | None) -> date:
        """The next review date after a review on ``as_of`` (same day of month, clamped to
        the month's end: 31 January + 1 month is 28 or 29 February)."""
        day = add_months(np.array([day_number(as_of)], dtype=np.int64),
                         self.interval(tier, pd))
        return to_date(int(day[0]))

    def as_json(self) -> dict[str, Any]:
        return {"source": self.source,
                "intervals_months": {t.slug: m for t, m in self.intervals_months.items()},
                "high_pd": self.high_pd, "high_pd_interval_months": self.high_pd_interval_months,
                "route": {"downgrade": self.route.downgrade,
                          "large_exposure": {c: str(v) for c, v
                                             in sorted(self.route.large_exposure.items())},
                          "flags": sorted(self.route.flags),
                          "alert_severities": sorted(self.route.alert_severities),
                          "triggered": self.route.triggered}}


def _months(value: object, where: str, problems: list[str]) -> int:
    if isinstance(value, bool) or not isinstance(value, int) \
            or not 1 <= value <= _MAX_INTERVAL_MONTHS:
        problems.append(f"{where}: must be a whole number of months from 1 to "
                        f"{_MAX_INTERVAL_MONTHS}, got {value!r}")
        return 1
    return value


def _flag(value: object, where: str, problems: list[str]) -> bool:
    if not isinstance(value, bool):
        problems.append(f"{where}: must be true or false, got {value!r}")
        return False
    return value


def _names(value: object, allowed: tuple[str, ...], where: str,
           problems: list[str]) -> frozenset[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        problems.append(f"{where}: must be a list of names, got {value!r}")
        return frozenset()
    unknown = [v for v in value if v not in allowed]
    if unknown:
        problems.append(f"{where}: unknown {', '.join(map(repr, unknown))}; one of: "
                        f"{', '.join(allowed)}")
    return frozenset(value)


def _exposures(value: object, where: str, problems: list[str]) -> dict[str, Decimal]:
    if not isinstance(value, dict):
        problems.append(f"{where}: must map a currency to an amount, got {value!r}")
        return {}
    found: dict[str, Decimal] = {}
    for currency, amount in value.items():
        at = f"{where}.{currency}"
        if not isinstance(currency, str) or len(currency) != 3 or not currency.isupper():
            problems.append(f"{at}: a currency is three capital letters (CNY)")
            continue
        try:
            parsed = Decimal(str(amount)) if isinstance(amount, (int, str)) \
                and not isinstance(amount, bool) else None
        except InvalidOperation:
            parsed = None
        if parsed is None or not parsed.is_finite() or parsed <= 0:
            problems.append(f"{at}: must be a positive amount written as a string or an "
                            f"integer (\"5000000.00\"), got {amount!r}")
            continue
        found[currency] = parsed
    return found


def _route(value: object, problems: list[str]) -> RoutePolicy:
    if value is None:
        return RoutePolicy()
    if not isinstance(value, dict):
        problems.append(f"route: must be a mapping, got {value!r}")
        return RoutePolicy()
    known = {"downgrade", "large_exposure", "flags", "alert_severities", "triggered"}
    for key in value:
        if key not in known:
            problems.append(f"route.{key}: unknown field; one of: {', '.join(sorted(known))}")
    base = RoutePolicy()
    return RoutePolicy(
        downgrade=_flag(value.get("downgrade", base.downgrade), "route.downgrade", problems),
        large_exposure=_exposures(value.get("large_exposure", {}), "route.large_exposure",
                                  problems),
        flags=_names(value.get("flags", sorted(base.flags)), FLAG_KINDS, "route.flags",
                     problems),
        alert_severities=_names(value.get("alert_severities", sorted(base.alert_severities)),
                                _SEVERITIES, "route.alert_severities", problems),
        triggered=_flag(value.get("triggered", base.triggered), "route.triggered", problems))


def policy_from_mapping(data: object, *, where: str = "policy") -> ReviewPolicy:
    """A policy from plain values (the parsed YAML, or settings the CLI passes in).

    Raises:
        PolicyError: every problem, each naming its field (a tier missing from
            ``intervals_months``, a month count out of range, an unknown key...).
    """
    problems: list[str] = []
    if not isinstance(data, dict):
        raise PolicyError(where, [f"must be a mapping of fields, got {type(data).__name__}"])
    known = {"version", "intervals_months", "high_pd", "high_pd_interval_months", "route"}
    for key in data:
        if key not in known:
            problems.append(f"{key}: unknown field; one of: {', '.join(sorted(known))}")
    intervals: dict[Tier, int] = {}
    raw = data.get("intervals_months")
    if not isinstance(raw, dict):
        problems.append("intervals_months: must map every tier (pass, special_mention, "
                        f"substandard, doubtful, loss) to months, got {raw!r}")
    else:
        for name in raw:
            try:
                Tier.from_slug(str(name))
            except ValueError:
                problems.append(f"intervals_months.{name}: not a tier; one of: "
                                f"{', '.join(t.slug for t in Tier)}")
        for tier in Tier:
            if tier.slug not in raw:
                problems.append(f"intervals_months.{tier.slug}: missing (every tier needs "
                                "its interval)")
                continue
            intervals[tier] = _months(raw[tier.slug], f"intervals_months.{tier.slug}",
                                      problems)
    high_pd = data.get("high_pd", 0.2)
    if isinstance(high_pd, bool) or not isinstance(high_pd, (int, float)) \
            or not 0 < high_pd <= 1:
        problems.append(f"high_pd: must be a probability in (0, 1], got {high_pd!r}")
        high_pd = 1.0
    high_months = _months(data.get("high_pd_interval_months", 1), "high_pd_interval_months",
                          problems)
    route = _route(data.get("route"), problems)
    if problems:
        raise PolicyError(where, problems)
    return ReviewPolicy(intervals_months=intervals, high_pd=float(high_pd),
                        high_pd_interval_months=high_months, route=route, source=where)


def load_policy(path: Path) -> ReviewPolicy:
    """The policy in the YAML file ``path``.

    Raises:
        PolicyError: the file cannot be read, is not YAML, or has problems (every one).
    """
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise PolicyError(str(path), [f"cannot be read: {exc.strerror or exc}"]) from exc
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f"line {mark.line + 1}: " if mark is not None else ""
        raise PolicyError(str(path), [f"{line}not valid YAML ({exc})"]) from exc
    return policy_from_mapping(data, where=str(path))


#: The shipped policy (the same values as :data:`DEFAULT_POLICY_FILE`).
DEFAULT_POLICY: Final = ReviewPolicy()
