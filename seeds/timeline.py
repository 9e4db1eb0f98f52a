"""Calendar arithmetic on numpy integer days and months, and the history's time frame.

Dates are ``int64`` days since 1970-01-01 and months are ``int64`` months since 1970-01;
both convert to ``datetime64`` for formatting. Month ``m`` of the history (``0..months-1``)
is absolute month ``start_month + m``; the last one holds ``as_of``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np

__all__ = ["Timeline", "add_months", "day_of_month", "days_to_months", "month_start_day"]

_EPOCH = date(1970, 1, 1)


def month_start_day(months: np.ndarray | int) -> np.ndarray:
    """Day number of the first day of each absolute month. O(n)."""
    return np.asarray(months, dtype=np.int64).astype("datetime64[M]").astype(
        "datetime64[D]").astype(np.int64)


def days_to_months(days: np.ndarray | int) -> np.ndarray:
    """Absolute month holding each day number. O(n)."""
    return np.asarray(days, dtype=np.int64).astype("datetime64[D]").astype(
        "datetime64[M]").astype(np.int64)


def day_of_month(days: np.ndarray) -> np.ndarray:
    """Day of month (1..31) of each day number. O(n)."""
    return days - month_start_day(days_to_months(days)) + 1


def add_months(days: np.ndarray, k: np.ndarray | int) -> np.ndarray:
    """Shift day numbers by ``k`` months, keeping the day of month.

    The day of month of ``days`` must be at most 28, which every generated disbursement
    date respects, so the result is always a valid date. O(n).
    """
    months = days_to_months(days)
    return month_start_day(months + k) + (days - month_start_day(months))


@dataclass(frozen=True, slots=True)
class Timeline:
    """The history's frame: ``months`` calendar months ending with the month of ``as_of``.

    Parameters:
        as_of: the last day of the history.
        months: number of months of history.
    """

    as_of: date
    months: int

    @property
    def as_of_day(self) -> int:
        """``as_of`` as a day number."""
        return (self.as_of - _EPOCH).days

    @property
    def start_month(self) -> int:
        """Absolute month number of history month 0."""
        return int(days_to_months(self.as_of_day)) - self.months + 1

    @property
    def start_day(self) -> int:
        """First day of the history."""
        return int(month_start_day(self.start_month))

    def month_first_days(self) -> np.ndarray:
        """First day of each history month, shape ``(months,)``. O(months)."""
        return month_start_day(np.arange(self.months) + self.start_month)

    def month_last_days(self) -> np.ndarray:
        """Last day of each history month (``as_of`` for the last), shape ``(months,)``."""
        ends = month_start_day(np.arange(1, self.months + 1) + self.start_month) - 1
        ends[-1] = min(int(ends[-1]), self.as_of_day)
        return ends

    def history_month(self, days: np.ndarray) -> np.ndarray:
        """History month index of each day, clipped to ``0..months-1``. O(n)."""
        return np.clip(days_to_months(days) - self.start_month, 0, self.months - 1)

