"""The business date of a scheduled job: the date its tick falls on, or a fixed one.

A daily schedule's unit carries its tick (ISO 8601, UTC, :mod:`jobs.schedules`); the
reviews and the collections run work as of that tick's date. A runtime may fix the date
instead (``LOANWATCH_JOBS_AS_OF``: ``loanwatch demo`` runs them as of its portfolio's
date, whose data end there): every tick then asks for the same date, and the services'
natural keys (one review per loan, date and kind; one collections run per date) make the
later ticks do nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any, Final

from jobs.errors import JobPayloadError

__all__ = ["JOBS_AS_OF", "business_date", "parse_day"]

#: The runtime value that fixes the business date (an ISO date or a ``date``).
JOBS_AS_OF: Final = "jobs_as_of"


def parse_day(value: object, what: str) -> date:
    """``value`` as a date (an ISO 8601 date string).

    Raises:
        JobPayloadError: it is not one (named ``what``).
    """
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise JobPayloadError(f"{what} must be an ISO date (YYYY-MM-DD), got {value!r:.100}")


def business_date(values: Mapping[str, Any], tick: object) -> date:
    """The date a job of ``tick`` works as of: the runtime's fixed date, else the tick's
    date in UTC.

    Raises:
        JobPayloadError: the tick is not an ISO 8601 time with a zone, or the fixed date is
            not a date.
    """
    fixed = values.get(JOBS_AS_OF)
    if fixed is not None:
        return parse_day(fixed, JOBS_AS_OF)
    if isinstance(tick, str):
        try:
            moment = datetime.fromisoformat(tick)
        except ValueError:
            moment = None
        if moment is not None and moment.tzinfo is not None:
            return moment.astimezone(UTC).date()
    raise JobPayloadError(f"a schedule's tick must be an ISO 8601 time with its zone, "
                          f"got {tick!r:.100}")
