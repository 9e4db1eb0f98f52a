"""The settings of the synthetic portfolio generator: one frozen, validated dataclass.

Every knob of :func:`seeds.generate.generate_portfolio` lives in :class:`PortfolioConfig`.
Counts left as ``None`` scale with the portfolio (see each field), so that one default
configuration gives a comparable portfolio at 1,000 and at 1,000,000 borrowers.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date

from loanwatch.errors import ConfigurationError

__all__ = ["MAX_BORROWERS", "MIN_BORROWERS", "InvalidPortfolioConfig", "PortfolioConfig"]

MIN_BORROWERS = 100
MAX_BORROWERS = 10_000_000


class InvalidPortfolioConfig(ConfigurationError, ValueError):
    """A :class:`PortfolioConfig` value is out of range; the message names the field."""


@dataclass(frozen=True, slots=True)
class PortfolioConfig:
    """What portfolio to generate. Immutable; every value is checked at construction.

    Parameters:
        borrowers: number of borrowing parties (persons plus companies), 100..10,000,000.
            Every party has at least one loan.
        company_share: share of the borrowers that are companies, in ``[0.01, 0.9]``.
        seed: the only source of randomness; the same seed gives the same files byte for byte.
        months: months of history ending with the month of ``as_of`` (6..120).
        as_of: the last day of the history; nothing in the files happens after it.
        group_count: corporate groups; ``None`` means one group per 40 companies.
        group_depth_min, group_depth_max: ownership levels of a group, root included (2..5).
        cross_holding_prob: probability that a group holds cross-holdings among its
            companies (a company owning a minority stake in a sibling or cousin).
        guarantee_density: background company-to-company guarantee edges per company.
        guarantee_reciprocity: share of small and micro firms' background guarantees that
            are answered by a guarantee in the opposite direction (mutual, 互保).
        circle_count: planted guarantee circles (担保圈); ``None`` means one per 250
            companies, at least 3. Circles never take more than a third of the companies.
        circle_size_min, circle_size_max: firms in one circle (3..12).
        ring_count: identity rings; ``None`` means one per 1,000 persons, at least 2.
        ring_size_min, ring_size_max: persons in one ring sharing a phone, address or
            device (3..8).
        joint_group_share: share of persons in joint-guarantee groups (联保小组) of 3..5.
        contagion_strength: multiplies every contagion shock (0 switches contagion off).
        contagion_rounds: rounds of contagion inside one month (1..10); shocks also persist
            and decay across months.
        base_default_intensity: monthly default probability of a typical party before its
            attributes, the cycle and contagion act; the default 0.0007 gives about 3 % of
            loans non-performing (90+ days past due or written off) at ``as_of``.
        bureau_every_months: months between credit-bureau snapshots, counted back from
            ``as_of``: 3 (quarterly) by default, 1 monthly; 12 cuts the bureau file to a
            quarter.
        transaction_months: months (ending with ``as_of``) of monthly account aggregates,
            4 by default.

    Raises:
        InvalidPortfolioConfig: a value is out of range or of the wrong type.

    Complexity: construction is O(1).
    """

    borrowers: int = 1_000
    company_share: float = 0.10
    seed: int = 7
    months: int = 24
    as_of: date = date(2025, 6, 30)
    group_count: int | None = None
    group_depth_min: int = 2
    group_depth_max: int = 5
    cross_holding_prob: float = 0.35
    guarantee_density: float = 0.7
    guarantee_reciprocity: float = 0.45
    circle_count: int | None = None
    circle_size_min: int = 3
    circle_size_max: int = 12
    ring_count: int | None = None
    ring_size_min: int = 3
    ring_size_max: int = 8
    joint_group_share: float = 0.02
    contagion_strength: float = 1.0
    contagion_rounds: int = 3
    base_default_intensity: float = 0.0007
    bureau_every_months: int = 3
    transaction_months: int = 4

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name == "as_of":
                if not isinstance(value, date):
                    raise InvalidPortfolioConfig(f"as_of must be a date, got {value!r}")
                continue
            if isinstance(value, bool):
                raise InvalidPortfolioConfig(f"{f.name} must be a number, got {value!r}")
        _int_range("borrowers", self.borrowers, MIN_BORROWERS, MAX_BORROWERS)
        _float_range("company_share", self.company_share, 0.01, 0.9)
        _int_range("seed", self.seed, 0, 2**63 - 1)
        _int_range("months", self.months, 6, 120)
        if not 1990 <= self.as_of.year <= 2150:
            raise InvalidPortfolioConfig(f"as_of must lie in the years 1990..2150, "
                                         f"got {self.as_of}")
        if self.group_count is not None:
            _int_range("group_count", self.group_count, 0, self.companies)
        _int_range("group_depth_min", self.group_depth_min, 2, 5)
        _int_range("group_depth_max", self.group_depth_max, self.group_depth_min, 5)
        _float_range("cross_holding_prob", self.cross_holding_prob, 0.0, 1.0)
        _float_range("guarantee_density", self.guarantee_density, 0.0, 5.0)
        _float_range("guarantee_reciprocity", self.guarantee_reciprocity, 0.0, 1.0)
        if self.circle_count is not None:
            _int_range("circle_count", self.circle_count, 0, self.companies // 3)
        _int_range("circle_size_min", self.circle_size_min, 3, 12)
        _int_range("circle_size_max", self.circle_size_max, self.circle_size_min, 12)
        if self.ring_count is not None:
            _int_range("ring_count", self.ring_count, 0, self.persons // 3)
        _int_range("ring_size_min", self.ring_size_min, 3, 8)
        _int_range("ring_size_max", self.ring_size_max, self.ring_size_min, 8)
        _float_range("joint_group_share", self.joint_group_share, 0.0, 0.5)
        _float_range("contagion_strength", self.contagion_strength, 0.0, 10.0)
        _int_range("contagion_rounds", self.contagion_rounds, 1, 10)
        _float_range("base_default_intensity", self.base_default_intensity, 1e-6, 0.2)
        _int_range("bureau_every_months", self.bureau_every_months, 1, self.months)
        _int_range("transaction_months", self.transaction_months, 1, self.months)

    @property
    def companies(self) -> int:
        """Number of company borrowers (at least 1)."""
        return max(1, round(self.borrowers * self.company_share))

    @property
    def persons(self) -> int:
        """Number of person borrowers."""
        return self.borrowers - self.companies

    @property
    def resolved_group_count(self) -> int:
        """``group_count``, or one group per 40 companies when it is ``None``."""
        if self.group_count is not None:
            return self.group_count
        return max(1, self.companies // 40)

    @property
    def resolved_circle_count(self) -> int:
        """``circle_count``, or one circle per 250 companies (at least 3, if they fit)."""
        if self.circle_count is not None:
            return self.circle_count
        return min(max(3, self.companies // 250), self.companies // (3 * self.circle_size_max))

    @property
    def resolved_ring_count(self) -> int:
        """``ring_count``, or one ring per 1,000 persons (at least 2)."""
        if self.ring_count is not None:
            return self.ring_count
        return max(2, self.persons // 1_000)


def _int_range(name: str, value: object, low: int, high: int) -> None:
    if not isinstance(value, int) or isinstance(value, bool):
        raise InvalidPortfolioConfig(f"{name} must be an integer, got {value!r}")
    if not low <= value <= high:
        raise InvalidPortfolioConfig(f"{name} must lie in {low}..{high}, got {value}")


def _float_range(name: str, value: object, low: float, high: float) -> None:
    if not isinstance(value, int | float) or isinstance(value, bool):
        raise InvalidPortfolioConfig(f"{name} must be a number, got {value!r}")
    if not low <= float(value) <= high:
        raise InvalidPortfolioConfig(f"{name} must lie in {low}..{high}, got {value}")
