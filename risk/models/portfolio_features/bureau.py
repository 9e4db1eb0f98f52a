"""Credit-bureau features per borrower as of D, from its snapshots taken on or before D
(only the last 13 months are read):

* ``bureau_score``, ``bureau_debt`` (major units), ``bureau_overdue_accounts``,
  ``bureau_inquiries_6m``, ``bureau_overdue_90_share`` (debt more than 90 days overdue at
  all lenders against all its debt) of the latest snapshot;
* ``bureau_score_change_6m``: the latest score less the score of the latest snapshot taken
  on or before D - 6 months (NaN when there is none);
* ``bureau_months_old``: how old the latest snapshot is.

NaN where a borrower has no snapshot (or the figure is unknown).
"""

from __future__ import annotations

from datetime import date
from typing import Any, Final

import numpy as np
from sqlalchemy import Date, Integer, Table, cast, func, literal, select, type_coerce

from portfolio.bureau import BureauSnapshot
from risk.classification.book import to_date
from risk.classification.delinquency import add_months
from risk.models.portfolio_features.inputs import (
    DAYS_PER_MONTH,
    AsOfInputs,
    FeatureBlock,
    major,
    row_index,
)
from risk.rules.inputs import text_array

__all__ = ["COLUMNS", "bureau_features", "day_of"]

COLUMNS: Final = ("bureau_score", "bureau_score_change_6m", "bureau_debt",
                  "bureau_overdue_accounts", "bureau_inquiries_6m", "bureau_overdue_90_share",
                  "bureau_months_old")
_bureau: Final[Table] = BureauSnapshot.__table__  # type: ignore[attr-defined]
_JULIAN_EPOCH: Final = 2440587.5
_EPOCH: Final = date(1970, 1, 1)
_LOOK_BACK_MONTHS: Final = 13


def day_of(column: Any, dialect: str) -> Any:
    """SQL for the day number (days since 1970-01-01) of a date column."""
    if dialect == "postgresql":
        return type_coerce(column - literal(_EPOCH, Date), Integer)
    return cast(func.julianday(column) - _JULIAN_EPOCH, Integer)


def _number(values: list[Any]) -> np.ndarray:
    return np.array([np.nan if v is None else float(v) for v in values], dtype=np.float64)


def bureau_features(inputs: AsOfInputs) -> FeatureBlock:
    """The columns of :data:`COLUMNS` (see the module)."""
    n, day = inputs.n, inputs.day
    since = int(add_months(np.array([day]), -_LOOK_BACK_MONTHS)[0])
    with inputs.engine.connect() as connection:
        dialect = connection.dialect.name
        taken = day_of(_bureau.c.as_of, dialect)
        result = connection.execute(select(
            _bureau.c.party_id, taken, _bureau.c.score, _bureau.c.total_debt_minor,
            _bureau.c.overdue_accounts, _bureau.c.inquiries_6m, _bureau.c.overdue_90_minor,
            _bureau.c.id).where(_bureau.c.as_of <= inputs.as_of,
                                _bureau.c.as_of > to_date(since)))
        try:
            rows = result.cursor.fetchall()
        finally:
            result.close()
    columns = {name: np.full(n, np.nan) for name in COLUMNS}
    if not rows:
        return FeatureBlock(columns=columns)
    party = text_array([r[0] for r in rows])
    row = row_index(inputs.rows, party)
    keep = row >= 0
    taken_day = np.array([r[1] for r in rows], dtype=np.int64)[keep]
    ids = text_array([r[7] for r in rows])[keep]
    row = row[keep]
    kept = [r for r, k in zip(rows, keep.tolist(), strict=True) if k]
    score = _number([r[2] for r in kept])
    debt = _number([r[3] for r in kept])
    overdue_accounts = _number([r[4] for r in kept])
    inquiries = _number([r[5] for r in kept])
    overdue_90 = _number([r[6] for r in kept])
    # Latest per row: sort by row, day, id; the last of each row.
    order = np.lexsort((ids, taken_day, row))
    last = np.ones(len(order), dtype=bool)
    last[:-1] = row[order][1:] != row[order][:-1]
    pick = order[last]
    at = row[pick]
    columns["bureau_score"][at] = score[pick]
    columns["bureau_debt"][at] = major(debt[pick])
    columns["bureau_overdue_accounts"][at] = overdue_accounts[pick]
    columns["bureau_inquiries_6m"][at] = inquiries[pick]
    with np.errstate(invalid="ignore", divide="ignore"):
        columns["bureau_overdue_90_share"][at] = np.where(
            debt[pick] > 0, overdue_90[pick] / debt[pick], np.nan)
    columns["bureau_months_old"][at] = (day - taken_day[pick]) / DAYS_PER_MONTH
    six = int(add_months(np.array([day]), -6)[0])
    old = taken_day[order] <= six
    older = order[old]
    if len(older):
        last_old = np.ones(len(older), dtype=bool)
        last_old[:-1] = row[older][1:] != row[older][:-1]
        pick_old = older[last_old]
        before = np.full(n, np.nan)
        before[row[pick_old]] = score[pick_old]
        columns["bureau_score_change_6m"] = columns["bureau_score"] - before
    return FeatureBlock(columns=columns)

