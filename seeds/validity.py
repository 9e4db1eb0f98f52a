"""When the generated relationships held: the ``valid_from``/``valid_to`` columns.

Sources rarely date every relationship, so only a share of rows gets a start date, drawn
between the earliest day the relationship could have begun (a company's founding, a
person's eighteenth birthday) and a month before ``as_of``; a share of the dated ones has
ended (a director who left, a phone given up), on a day after it began and no later than
``as_of``. Rows that carry a planted structure are never ended, so every structure of the
ground truth holds on ``as_of``. Each caller draws from its own stage stream, so the other
streams (and so the rest of the portfolio) are unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np

__all__ = ["ADULT_DAYS", "RelationshipDates", "draw_dates", "undated"]

#: Days from birth to an eighteenth birthday, the earliest a person holds a phone contract
#: or a stake in their own name.
ADULT_DAYS: Final = int(18 * 365.25)
#: Shortest time a dated relationship lasts before it may end, in days.
_MIN_DAYS: Final = 30


@dataclass(frozen=True, slots=True)
class RelationshipDates:
    """Day numbers (days since 1970-01-01) and masks of the rows that have no such date,
    as :meth:`seeds.writer.PortfolioWriter.write` takes them."""

    valid_from: np.ndarray
    valid_to: np.ndarray
    no_from: np.ndarray
    no_to: np.ndarray

    def columns(self) -> dict[str, np.ndarray]:
        """The two columns of the row dictionaries."""
        return {"valid_from": self.valid_from, "valid_to": self.valid_to}

    def missing(self) -> dict[str, np.ndarray]:
        """The missing-value masks of the two columns."""
        return {"valid_from": self.no_from, "valid_to": self.no_to}


def undated(n: int) -> RelationshipDates:
    """``n`` rows without dates."""
    zeros = np.zeros(n, dtype=np.int64)
    return RelationshipDates(zeros, zeros, np.ones(n, dtype=bool), np.ones(n, dtype=bool))


def draw_dates(rng: np.random.Generator, earliest: np.ndarray, as_of_day: int, *,
               dated: float, ended: float, keep: np.ndarray | None = None
               ) -> RelationshipDates:
    """Dates of ``len(earliest)`` relationships.

    Parameters:
        rng: the caller's stage stream.
        earliest: the first day each relationship could have begun.
        as_of_day: the last day of the history; no date is after it.
        dated: share of rows with a ``valid_from``.
        ended: share of the dated rows that ended (have a ``valid_to``).
        keep: rows that must still hold on ``as_of`` (planted structures); never ended.

    Complexity: O(n), vectorised.
    """
    n = len(earliest)
    latest = as_of_day - _MIN_DAYS
    low = np.minimum(np.asarray(earliest, dtype=np.int64), latest)
    start = low + (rng.random(n) * (latest - low + 1)).astype(np.int64)
    has_from = rng.random(n) < dated
    # An ended row lasted at least _MIN_DAYS and ended by as_of (and is not held that day).
    room = as_of_day - (start + _MIN_DAYS)
    end = start + _MIN_DAYS + (rng.random(n) * (np.maximum(room, 0) + 1)).astype(np.int64)
    has_to = has_from & (rng.random(n) < ended) & (room >= 0)
    if keep is not None:
        has_to &= ~keep
    return RelationshipDates(start, np.minimum(end, as_of_day), ~has_from, ~has_to)
