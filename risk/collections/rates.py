"""Roll rates and cure rates between two dates, from the bucket history.

For every loan in a live bucket on ``start`` (observed by then, not closed or written
off), where it is on ``end``: the roll-rate matrix counts the loans going from each bucket
to each bucket (the pseudo buckets ``closed`` and ``written_off`` included as
destinations), and each row's rates are those counts over the row's loans. The cure rate
of a delinquent bucket is the share of its loans that are in the current bucket on
``end``; the overall cure rate is the same over every delinquent loan. Loans first observed
after ``start`` are counted apart (``new_loans``), not in the matrix.

Rates are plain ratios (``float``, rounded to 4 places): counts are exact, rates are not
money.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, Final

from sqlalchemy import Engine, Table, select

from portfolio.collections import CollectionRun
from risk.collections.config import CLOSED, TERMINAL_BUCKETS, WRITTEN_OFF
from risk.collections.errors import CollectionsError
from risk.collections.history import buckets_on

__all__ = ["RollRates", "roll_rates"]

_PLACES: Final = 4
_run: Final[Table] = CollectionRun.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True, slots=True)
class RollRates:
    """``counts[a][b]``: loans in ``a`` on ``start`` and in ``b`` on ``end``; ``rates`` the
    same per row total (``None`` for an empty row); ``buckets`` the row order (live buckets,
    the current one first), ``columns`` the column order (the pseudo buckets last)."""

    start: date
    end: date
    buckets: tuple[str, ...]
    columns: tuple[str, ...]
    counts: dict[str, dict[str, int]]
    rates: dict[str, dict[str, float | None]]
    cure_rates: dict[str, float | None]
    cure_rate: float | None
    loans: int
    new_loans: int

    def as_json(self) -> dict[str, Any]:
        return {"start": self.start.isoformat(), "end": self.end.isoformat(),
                "buckets": list(self.buckets), "columns": list(self.columns),
                "counts": self.counts, "rates": self.rates, "cure_rates": self.cure_rates,
                "cure_rate": self.cure_rate, "loans": self.loans, "new_loans": self.new_loans}


def _ratio(part: int, whole: int) -> float | None:
    return None if whole == 0 else round(part / whole, _PLACES)


def _bucket_order(engine: Engine, start: date, end: date) -> list[str]:
    """The buckets of the runs of ``end`` then ``start`` (settings may differ), in order."""
    names: list[str] = []
    with engine.connect() as connection:
        for day in (end, start):
            config = connection.execute(select(_run.c.config)
                                        .where(_run.c.as_of == day)).scalar()
            for bucket in (config or {}).get("buckets", []):
                if bucket["name"] not in names:
                    names.append(bucket["name"])
    return names


def roll_rates(engine: Engine, start: date, end: date) -> RollRates:
    """The roll-rate matrix and cure rates from ``start`` to ``end`` (see the module).

    Raises:
        CollectionsError: ``end`` is before ``start``.
        HistoryNotCovered: either date is outside the days the runs covered.
    """
    if end < start:
        raise CollectionsError(f"the report ends ({end}) before it starts ({start})",
                               suggestion="give --from before --to")
    before = buckets_on(engine, start)
    after = buckets_on(engine, end)
    order = _bucket_order(engine, start, end)
    for bucket, _ in (*before.values(), *after.values()):
        if bucket not in order and bucket not in TERMINAL_BUCKETS:
            order.append(bucket)
    current = order[0]
    columns = (*order, CLOSED, WRITTEN_OFF)
    counts = {row: dict.fromkeys(columns, 0) for row in order}
    loans = 0
    for loan, (bucket, _) in before.items():
        if bucket in TERMINAL_BUCKETS:
            continue
        counts[bucket][after[loan][0]] += 1
        loans += 1
    totals = {row: sum(cells.values()) for row, cells in counts.items()}
    rates = {row: {column: _ratio(n, totals[row]) for column, n in cells.items()}
             for row, cells in counts.items()}
    delinquent = [row for row in order if row != current]
    cure_rates = {row: _ratio(counts[row][current], totals[row]) for row in delinquent}
    cured = sum(counts[row][current] for row in delinquent)
    return RollRates(start=start, end=end, buckets=tuple(order), columns=columns,
                     counts=counts, rates=rates, cure_rates=cure_rates,
                     cure_rate=_ratio(cured, sum(totals[row] for row in delinquent)),
                     loans=loans, new_loans=sum(1 for loan in after if loan not in before))
