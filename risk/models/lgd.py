"""Loss given default, estimated from the portfolio's own workouts, by collateral kind and
coverage, each segment blended with a configured prior by its credibility.

Default: a loan defaults on the first day one of its installments is more than
``default_dpd`` days past due, net of agreed payment pauses - IFRS 9's ``impaired_dpd``
(90), which is also the days-past-due criterion of :mod:`risk.models.default_definition`
and the five tiers' Substandard floor, so the three speak of the same day. That definition's
write-off criterion dates a write-off the same way (its first day more than 90 days past
due), so it adds no workout here; its restructuring and bankruptcy criteria are events with
no recovery history of their own, left out. The loan status ``written_off`` itself is not
read: it carries no date, so reading it would look ahead.

A workout, per defaulted loan, as of the date (nothing after it is read):

* exposure at default: the principal plus the interest fallen due by the default day, less
  every repayment made by then (= the outstanding principal plus the unpaid interest);
* recoveries: the repayments after the default day, plus the proceeds of the collateral if
  its disposal is recorded after the default day, each discounted to the default day at the
  loan's annual rate (``(1 + r) ** -(days / 365.25)``);
* realised LGD = 1 - recoveries / exposure at default, clipped to [0, 1].

A workout counts (is an observation) when it is over: the loan is repaid in full, or the
default is at least ``workout_months`` (12) old - and then, for a secured loan, only once its
collateral disposal is recorded (before it, the recovery from the collateral is unknown, not
zero), unless ``count_undisposed`` says to count cash recoveries alone. Other workouts are
listed as pending.

Segments: the collateral kind (``unsecured`` without any) and the coverage band of collateral
value / exposure (at default for a workout, at the as-of date for a live loan): unsecured,
< 50 %, 50-100 %, >= 100 %; a collateral of unknown value (or valued in another currency)
counts as < 50 %. The prior of a secured segment mixes the kind's prior at full coverage
(``prior_by_kind``, else ``prior_secured``) with the unsecured prior by the band's share
covered: c = 0.25, 0.75, 1 -> prior = c * kind prior + (1 - c) * unsecured prior.

Estimate per segment with n observations of mean realised LGD m (each workout weighs the
same): ``max(floor, (n * m + k * prior) / (n + k))``, k = ``credibility``: a thin segment
stays near its prior, a deep one follows its own data.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Final

import numpy as np

from risk.classification.book import LoanBook
from risk.classification.delinquency import NEVER, Delinquency, add_months, paused_days
from risk.classification.errors import ClassificationConfigError
from risk.models.collateral import NO_DAY, UNSECURED, LoanCollateral

__all__ = ["BANDS", "LgdModel", "LgdSegment", "LgdSettings", "Workouts", "coverage_band",
           "estimate_lgd", "workouts"]

#: Coverage bands, by index.
BANDS: Final = ("unsecured", "<50%", "50-100%", ">=100%")
#: Share of the exposure each band's prior counts as covered by the collateral.
_BAND_COVER: Final = (0.0, 0.25, 0.75, 1.0)
_DAYS_PER_YEAR: Final = 365.25


@dataclass(frozen=True, slots=True)
class LgdSettings:
    """How LGD is estimated (the ``lgd_*`` settings of ``[provisioning]``)."""

    prior_unsecured: float = 0.45
    prior_secured: float = 0.25
    prior_by_kind: Mapping[str, float] = field(default_factory=dict)
    credibility: float = 50.0
    floor: float = 0.05
    workout_months: int = 12
    default_dpd: int = 90
    count_undisposed: bool = False

    def __post_init__(self) -> None:
        checks = {"lgd_unsecured": self.prior_unsecured, "lgd_secured": self.prior_secured,
                  "lgd_floor": self.floor,
                  **{f"lgd_collateral.{k}": v for k, v in self.prior_by_kind.items()}}
        for name, value in checks.items():
            if not 0 <= value <= 1:
                raise ClassificationConfigError(f"{name} must lie in [0, 1], got {value}")
        if self.credibility < 0:
            raise ClassificationConfigError(
                f"lgd_credibility must not be negative, got {self.credibility}")
        if self.workout_months < 0:
            raise ClassificationConfigError(
                f"lgd_workout_months must not be negative, got {self.workout_months}")

    def prior(self, kind: str, band: int) -> float:
        """The configured prior of a segment (see the module)."""
        if band == 0 or kind == UNSECURED:
            return self.prior_unsecured
        full = self.prior_by_kind.get(kind, self.prior_secured)
        cover = _BAND_COVER[band]
        return cover * full + (1 - cover) * self.prior_unsecured


def coverage_band(collateral: LoanCollateral, value: np.ndarray,
                  exposure: np.ndarray) -> np.ndarray:
    """The band index (see :data:`BANDS`) of collateral ``value`` (in the loan's currency,
    ``NaN`` unknown) against ``exposure`` (minor units), per loan."""
    with np.errstate(divide="ignore", invalid="ignore"):
        cover = np.where(exposure > 0, value / np.maximum(exposure, 1), np.inf)
    cover = np.where(np.isnan(value), 0.0, cover)
    band = np.where(cover >= 1.0, 3, np.where(cover >= 0.5, 2, 1))
    return np.where(collateral.secured, band, 0).astype(np.int8)


@dataclass(frozen=True, slots=True)
class Workouts:
    """The defaulted loans of a book (``loan``: index in the book) and their workouts."""

    loan: np.ndarray
    default_day: np.ndarray
    exposure: np.ndarray
    recovered: np.ndarray
    realised: np.ndarray
    counted: np.ndarray
    #: Why an uncounted workout is pending: ``"recent"`` or ``"awaiting disposal"``.
    pending: np.ndarray
    kind: np.ndarray
    band: np.ndarray


def _default_days(book: LoanBook, dq: Delinquency, default_dpd: int) -> np.ndarray:
    """The first day each loan was more than ``default_dpd`` days past due (``NEVER``)."""
    n = len(book)
    late = dq.days_late > default_dpd
    due = dq.effective_due[late]
    loan = book.inst_loan[late]
    reached = due + default_dpd + 1
    # Paused days do not count: the threshold moves out by the pause within the window.
    reached = reached + paused_days(dq.pause_loan, dq.pause_start, dq.pause_end, loan, due,
                                    reached)
    day = np.full(n, NEVER, dtype=np.int64)
    np.minimum.at(day, loan, np.minimum(reached, book.as_of_day))
    return day


def workouts(book: LoanBook, dq: Delinquency, collateral: LoanCollateral,
             settings: LgdSettings) -> Workouts:
    """Every defaulted loan's workout as of the book's date (see the module's rules).

    O(installments + repayments)."""
    n = len(book)
    as_of = book.as_of_day
    default_day = _default_days(book, dq, settings.default_dpd)
    defaulted = np.flatnonzero(default_day < NEVER)
    at_default = default_day[book.inst_loan]
    interest_due = np.bincount(
        book.inst_loan, weights=np.where(dq.effective_due <= at_default, book.inst_interest, 0),
        minlength=n)
    rep_default = default_day[book.rep_loan]
    before = book.rep_day <= rep_default
    paid_before = np.bincount(book.rep_loan, weights=np.where(before, book.rep_amount, 0),
                              minlength=n)
    rate = book.annual_rate[book.rep_loan]
    years = np.where(before, 0, book.rep_day - np.minimum(rep_default, as_of)) / _DAYS_PER_YEAR
    discounted = np.where(before, 0.0, book.rep_amount * (1.0 + rate) ** -years)
    recovered = np.bincount(book.rep_loan, weights=discounted, minlength=n)
    disposed = (collateral.disposed != NO_DAY) & (collateral.disposed <= as_of) & (
        collateral.disposed >= default_day)
    proceeds_years = (collateral.disposed - np.minimum(default_day, as_of)) / _DAYS_PER_YEAR
    recovered = recovered + np.where(
        disposed, collateral.proceeds * (1.0 + book.annual_rate) ** -np.maximum(
            proceeds_years, 0), 0.0)
    exposure = np.rint(book.principal + interest_due - paid_before).astype(np.int64)

    loans = defaulted[exposure[defaulted] > 0]
    expo = exposure[loans]
    realised = np.clip(1.0 - recovered[loans] / expo, 0.0, 1.0)
    closed = (dq.outstanding[loans] + dq.overdue[loans]) == 0
    old_enough = add_months(default_day[loans], settings.workout_months) <= as_of
    secured = collateral.secured[loans]
    settled = ~secured | disposed[loans] | settings.count_undisposed
    counted = closed | (old_enough & settled)
    pending = np.where(counted, "", np.where(old_enough, "awaiting disposal", "recent"))
    value = collateral.value_in(book.currency)[loans]
    sub = LoanCollateral(kind=collateral.kind[loans], value=value,
                         currency=collateral.currency[loans],
                         disposed=collateral.disposed[loans],
                         proceeds=collateral.proceeds[loans])
    return Workouts(loan=loans, default_day=default_day[loans], exposure=expo,
                    recovered=recovered[loans], realised=realised, counted=counted,
                    pending=pending.astype(object), kind=collateral.kind[loans],
                    band=coverage_band(sub, value, expo))


@dataclass(frozen=True, slots=True)
class LgdSegment:
    """One row of the LGD table: where a segment's estimate comes from."""

    collateral: str
    band: int
    observations: int
    #: Workouts not counted yet: too recent, or awaiting the collateral's disposal.
    recent: int
    awaiting_disposal: int
    realised_mean: float | None
    prior: float
    estimate: float
    floored: bool

    @property
    def label(self) -> str:
        return UNSECURED if self.band == 0 else f"{self.collateral} {BANDS[self.band]}"

    def as_json(self) -> dict[str, Any]:
        return {"collateral": self.collateral, "coverage": BANDS[self.band],
                "observations": self.observations, "recent": self.recent,
                "awaiting_disposal": self.awaiting_disposal,
                "realised_mean": None if self.realised_mean is None
                else round(self.realised_mean, 6),
                "prior": round(self.prior, 6), "estimate": round(self.estimate, 6),
                "floored": self.floored}


@dataclass(frozen=True, slots=True)
class LgdModel:
    """The LGD of every segment as of a date, and the settings it was estimated with."""

    as_of: date
    settings: LgdSettings
    segments: tuple[LgdSegment, ...]

    def segment(self, kind: str, band: int) -> LgdSegment:
        """The segment of ``kind`` and ``band``; a segment the book did not show has no
        observations: its estimate is its prior (floored)."""
        key = (UNSECURED, 0) if band == 0 else (kind, band)
        for segment in self.segments:
            if (segment.collateral, segment.band) == key:
                return segment
        return _segment(key[0], key[1], np.zeros(0), (0, 0), self.settings)

    def estimate(self, kind: np.ndarray, band: np.ndarray) -> np.ndarray:
        """The LGD of each loan from its collateral kind and coverage band (one lookup per
        distinct pair: O(loans log loans))."""
        if len(kind) == 0:
            return np.zeros(0, dtype=np.float64)
        kinds, kind_code = np.unique(np.asarray(kind).astype(str), return_inverse=True)
        pairs, pair_code = np.unique(kind_code * len(BANDS) + np.asarray(band, dtype=np.int64),
                                     return_inverse=True)
        values = np.array([self.segment(str(kinds[p // len(BANDS)]), int(p % len(BANDS))).estimate
                           for p in pairs.tolist()], dtype=np.float64)
        return values[pair_code]

    def as_json(self) -> dict[str, Any]:
        s = self.settings
        return {"as_of": self.as_of.isoformat(),
                "settings": {"credibility": s.credibility, "floor": s.floor,
                             "workout_months": s.workout_months,
                             "default_dpd": s.default_dpd,
                             "count_undisposed": s.count_undisposed},
                "segments": [segment.as_json() for segment in self.segments]}


def _segment(kind: str, band: int, realised: np.ndarray, pending: tuple[int, int],
             settings: LgdSettings) -> LgdSegment:
    n = len(realised)
    prior = settings.prior(kind, band)
    mean = float(realised.mean()) if n else None
    k = settings.credibility
    blended = prior if n == 0 else (n * float(mean) + k * prior) / (n + k)  # type: ignore[arg-type]
    estimate = min(max(blended, settings.floor), 1.0)
    return LgdSegment(collateral=kind, band=band, observations=n, recent=pending[0],
                      awaiting_disposal=pending[1],
                      realised_mean=mean, prior=prior, estimate=estimate,
                      floored=blended < settings.floor)


def estimate_lgd(book: LoanBook, dq: Delinquency, collateral: LoanCollateral,
                 live_band: np.ndarray, settings: LgdSettings) -> LgdModel:
    """The LGD table as of the book's date, over the segments of the book's workouts and of
    its live loans (``live_band``: each loan's band now, ``-1`` for loans to leave out)."""
    found = workouts(book, dq, collateral, settings)
    keys: set[tuple[str, int]] = set()
    for kind, band in zip(collateral.kind.tolist(), live_band.tolist(), strict=True):
        if band >= 0:
            keys.add((UNSECURED, 0) if band == 0 else (str(kind), int(band)))
    for kind, band in zip(found.kind.tolist(), found.band.tolist(), strict=True):
        keys.add((UNSECURED, 0) if band == 0 else (str(kind), int(band)))
    segments = []
    for kind, band in sorted(keys, key=lambda key: (key[1] != 0, key[0], key[1])):
        mine = (found.band == band) & ((found.kind == kind) | (band == 0))
        pending = (int((mine & (found.pending == "recent")).sum()),
                   int((mine & (found.pending == "awaiting disposal")).sum()))
        segments.append(_segment(kind, band, found.realised[mine & found.counted], pending,
                                 settings))
    return LgdModel(as_of=book.as_of, settings=settings, segments=tuple(segments))
