"""The collections settings: delinquency buckets by days past due, balance bands, and the
behaviour window, as frozen dataclasses checked when built.

Buckets cover every number of days past due exactly once: the first starts at 0 and is the
*current* bucket (a loan there is not delinquent; a grace period is a first bucket wider
than 0..0), each next one starts the day after the previous one ends, and only the last is
open-ended. Names are unique and may not be ``closed`` or ``written_off`` (the pseudo
buckets of loans that left the book). Balance bands split the outstanding principal (in
major units of the loan's currency) by upper bounds, the last band open-ended.

Every problem raises :class:`CollectionsConfigError` naming the field (``buckets[2].
min_days``); :mod:`risk.collections.config_file` adds the file and line.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Final

import numpy as np

from risk.collections.errors import CollectionsConfigError

__all__ = [
    "CLOSED",
    "DEFAULT_BALANCE_BANDS",
    "DEFAULT_BUCKETS",
    "DEFAULT_COLLECTIONS",
    "DEFAULT_MAX_CATCH_UP_DAYS",
    "DEFAULT_PAYING_WINDOW_DAYS",
    "TERMINAL_BUCKETS",
    "WRITTEN_OFF",
    "BalanceBand",
    "Bucket",
    "CollectionsConfig",
]

#: The pseudo bucket of a loan closed in the records (repaid, settled).
CLOSED: Final = "closed"
#: The pseudo bucket of a loan written off.
WRITTEN_OFF: Final = "written_off"
TERMINAL_BUCKETS: Final = frozenset({CLOSED, WRITTEN_OFF})
#: A repayment within this many days makes a delinquent borrower's behaviour ``paying``.
DEFAULT_PAYING_WINDOW_DAYS: Final = 30
#: Days a run may catch up after the last run (each missed day is run, in order).
DEFAULT_MAX_CATCH_UP_DAYS: Final = 31
_NAME_LENGTH: Final = 32


@dataclass(frozen=True, slots=True)
class Bucket:
    """Loans ``min_days`` to ``max_days`` (inclusive; ``None``: no end) days past due."""

    name: str
    min_days: int
    max_days: int | None = None

    def label(self) -> str:
        return f"{self.min_days}+" if self.max_days is None else \
            f"{self.min_days}-{self.max_days}"


@dataclass(frozen=True, slots=True)
class BalanceBand:
    """Outstanding principal below ``below`` major units (``None``: the rest)."""

    name: str
    below: Decimal | None = None


DEFAULT_BUCKETS: Final = (
    Bucket("current", 0, 0), Bucket("1-30", 1, 30), Bucket("31-60", 31, 60),
    Bucket("61-90", 61, 90), Bucket("90+", 91, None))
DEFAULT_BALANCE_BANDS: Final = (
    BalanceBand("small", Decimal(50_000)), BalanceBand("medium", Decimal(500_000)),
    BalanceBand("large", None))


def _check_name(name: object, where: str, taken: set[str]) -> None:
    if not isinstance(name, str) or not name.strip():
        raise CollectionsConfigError(f"{where}.name", "a non-empty name is required")
    if len(name) > _NAME_LENGTH:
        raise CollectionsConfigError(f"{where}.name",
                                     f"{name!r} is longer than {_NAME_LENGTH} characters")
    if name in taken:
        raise CollectionsConfigError(f"{where}.name", f"{name!r} is used twice")
    taken.add(name)


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check_buckets(buckets: tuple[Bucket, ...]) -> None:
    if len(buckets) < 2:
        raise CollectionsConfigError("buckets", "at least two buckets are needed: the "
                                     "current one and one delinquent bucket")
    names: set[str] = set()
    for i, bucket in enumerate(buckets):
        where = f"buckets[{i}]"
        _check_name(bucket.name, where, names)
        if bucket.name in TERMINAL_BUCKETS:
            raise CollectionsConfigError(f"{where}.name", f"{bucket.name!r} is reserved for "
                                         "loans that left the book")
        if not _is_int(bucket.min_days) or bucket.min_days < 0:
            raise CollectionsConfigError(f"{where}.min_days", "must be a whole number of "
                                         f"days, 0 or more, got {bucket.min_days!r}")
        last = i == len(buckets) - 1
        if bucket.max_days is None:
            if not last:
                raise CollectionsConfigError(f"{where}.max_days", "only the last bucket may "
                                             "be open-ended; give its last day")
        elif not _is_int(bucket.max_days) or bucket.max_days < bucket.min_days:
            raise CollectionsConfigError(f"{where}.max_days", "must be a whole number of days"
                                         f" not below min_days ({bucket.min_days}), got "
                                         f"{bucket.max_days!r}")
        if i == 0:
            if bucket.min_days != 0:
                raise CollectionsConfigError(f"{where}.min_days", "the first (current) bucket "
                                             f"must start at 0 days, got {bucket.min_days}")
            continue
        previous = buckets[i - 1]
        assert previous.max_days is not None
        if bucket.min_days <= previous.max_days:
            raise CollectionsConfigError(
                f"{where}.min_days", f"{bucket.min_days} overlaps buckets[{i - 1}] "
                f"({previous.name!r}, {previous.label()}); start at {previous.max_days + 1}")
        if bucket.min_days > previous.max_days + 1:
            raise CollectionsConfigError(
                f"{where}.min_days", f"{bucket.min_days} leaves a gap after buckets[{i - 1}] "
                f"({previous.name!r}, {previous.label()}): days {previous.max_days + 1} to "
                f"{bucket.min_days - 1} are in no bucket")
    if buckets[-1].max_days is not None:
        raise CollectionsConfigError(f"buckets[{len(buckets) - 1}].max_days", "the last "
                                     "bucket must be open-ended (leave max_days out)")


def _check_bands(bands: tuple[BalanceBand, ...]) -> None:
    if not bands:
        raise CollectionsConfigError("balance_bands", "at least one band is needed")
    names: set[str] = set()
    previous: Decimal | None = None
    for i, band in enumerate(bands):
        where = f"balance_bands[{i}]"
        _check_name(band.name, where, names)
        last = i == len(bands) - 1
        if band.below is None:
            if not last:
                raise CollectionsConfigError(f"{where}.below", "only the last band may be "
                                             "open-ended; give its upper bound")
            continue
        if last:
            raise CollectionsConfigError(f"{where}.below", "the last band must be "
                                         "open-ended (leave below out)")
        if not isinstance(band.below, Decimal) or not band.below.is_finite() \
                or band.below <= 0:
            raise CollectionsConfigError(f"{where}.below", "must be a positive amount, got "
                                         f"{band.below!r}")
        if previous is not None and band.below <= previous:
            raise CollectionsConfigError(f"{where}.below", f"{band.below} does not rise above "
                                         f"balance_bands[{i - 1}].below ({previous})")
        previous = band.below


@dataclass(frozen=True, slots=True)
class CollectionsConfig:
    """What shapes a collections run besides the data; stored with every run."""

    buckets: tuple[Bucket, ...] = DEFAULT_BUCKETS
    balance_bands: tuple[BalanceBand, ...] = DEFAULT_BALANCE_BANDS
    paying_window_days: int = DEFAULT_PAYING_WINDOW_DAYS
    max_catch_up_days: int = DEFAULT_MAX_CATCH_UP_DAYS
    _mins: np.ndarray = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        _check_buckets(self.buckets)
        _check_bands(self.balance_bands)
        for name in ("paying_window_days", "max_catch_up_days"):
            value = getattr(self, name)
            if not _is_int(value) or value < 1:
                raise CollectionsConfigError(name, f"must be a whole number of days, 1 or "
                                             f"more, got {value!r}")
        object.__setattr__(self, "_mins", np.array([b.min_days for b in self.buckets],
                                                   dtype=np.int64))

    @property
    def current(self) -> str:
        """The name of the first bucket: not delinquent."""
        return self.buckets[0].name

    def bucket_names(self) -> list[str]:
        return [b.name for b in self.buckets]

    def bucket_index(self, days_past_due: np.ndarray) -> np.ndarray:
        """The bucket (index into :attr:`buckets`) of each number of days past due."""
        return np.searchsorted(self._mins, days_past_due, side="right") - 1

    def bucket_of(self, days_past_due: int) -> str:
        return self.buckets[int(self.bucket_index(np.array([days_past_due]))[0])].name

    def band_of(self, outstanding: Decimal) -> str:
        """The balance band of an outstanding principal in major units."""
        for band in self.balance_bands:
            if band.below is None or outstanding < band.below:
                return band.name
        return self.balance_bands[-1].name

    def as_json(self) -> dict[str, Any]:
        return {
            "buckets": [{"name": b.name, "min_days": b.min_days, "max_days": b.max_days}
                        for b in self.buckets],
            "balance_bands": [{"name": b.name,
                               "below": None if b.below is None else str(b.below)}
                              for b in self.balance_bands],
            "paying_window_days": self.paying_window_days,
            "max_catch_up_days": self.max_catch_up_days,
        }


DEFAULT_COLLECTIONS: Final = CollectionsConfig()
