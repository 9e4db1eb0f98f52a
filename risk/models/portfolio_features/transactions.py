"""Account inflows per borrower as of D, read as the ``inflow_drop`` rule reads them
(:mod:`risk.rules.signals.inflow`): the monthly ``TRANSFERS`` aggregates into the accounts
a party ``HOLDS`` (opened by D), except transfers from its own accounts.

The month judged is the last full month on D (:func:`judged_month`); the trailing window
is the 6 months before it. Months after the judged one are never read. Months before the
first month of transfer data in the store are unknown, not zero (a lender may hand in only
the last months of account data), and a borrower without an account has no inflow
features (NaN):

* ``inflow_last_month``: the judged month's inflow (major units, currencies together);
* ``inflow_ratio_6m``: that against the average of the known trailing months (NaN when
  that average is 0);
* ``inflow_trend_6m``: the least-squares slope over the known months of the window
  (trailing and judged) per month, relative to their average;
* ``months_without_inflow_6m``: known months of the window with no inflow.
"""

from __future__ import annotations

from typing import Final

import numpy as np

from graph.model import RelType
from risk.models.portfolio_features.inputs import AsOfInputs, FeatureBlock, major, row_index
from risk.rules.inputs import integers, text_array
from risk.rules.signals.inflow import judged_month, months_before

__all__ = ["COLUMNS", "TRAILING_MONTHS", "inflow_features"]

TRAILING_MONTHS: Final = 6
COLUMNS: Final = ("inflow_last_month", "inflow_ratio_6m", "inflow_trend_6m",
                  "months_without_inflow_6m")


def _empty(n: int) -> FeatureBlock:
    return FeatureBlock(columns={name: np.full(n, np.nan) for name in COLUMNS})


def inflow_features(inputs: AsOfInputs) -> FeatureBlock:
    """The columns of :data:`COLUMNS` (see the module)."""
    n = inputs.n
    holds = inputs.rule_inputs.edges(RelType.HOLDS)
    transfers = inputs.rule_inputs.edges(RelType.TRANSFERS, props=("amount_minor",))
    holder_row = row_index(inputs.rows, holds.source)
    mine = holder_row >= 0
    if not mine.any():
        return _empty(n)
    current = judged_month(inputs.as_of)
    window = [*months_before(current, TRAILING_MONTHS), current]
    months = text_array(window)
    # A month is known when transfer data reach back to it.
    earlier = transfers.key[transfers.key <= current]
    first_known = min(earlier.tolist()) if len(earlier) else None
    known = np.array([first_known is not None and m >= first_known for m in window])
    minor, has_amount = integers(transfers.props["amount_minor"]) if len(transfers) else (
        np.zeros(0, dtype=np.int64), np.zeros(0, dtype=bool))
    slot = np.minimum(np.searchsorted(months, transfers.key), len(window) - 1)
    in_window = has_amount & (months[slot] == transfers.key)
    # Accounts held by scored borrowers: (account, row) pairs sorted by account.
    held_account = holds.target[mine]
    held_row = holder_row[mine]
    order = np.argsort(held_account, kind="stable")
    held_account, held_row = held_account[order], held_row[order]
    rows = np.flatnonzero(in_window)
    lo = np.searchsorted(held_account, transfers.target[rows], side="left")
    hi = np.searchsorted(held_account, transfers.target[rows], side="right")
    count = hi - lo
    edge = np.repeat(rows, count)
    offset = np.arange(count.sum()) - np.repeat(np.cumsum(count) - count, count)
    row = held_row[np.repeat(lo, count) + offset]
    # Not income: money from an account the same borrower holds.
    _, account = np.unique(np.concatenate((held_account, transfers.source[edge])),
                           return_inverse=True)
    width = np.int64(account.max(initial=0) + 1)
    held_key = held_row.astype(np.int64) * width + account[:len(held_account)]
    own = np.isin(row.astype(np.int64) * width + account[len(held_account):], held_key)
    edge, row = edge[~own], row[~own]
    sums = np.zeros((n, len(window)))
    np.add.at(sums, (row, slot[edge]), minor[edge].astype(np.float64))
    sums = major(sums)
    has_account = np.bincount(held_row, minlength=n) > 0
    sums[:, ~known] = np.nan
    sums[~has_account] = np.nan
    last = sums[:, -1]
    trailing = sums[:, :-1]
    with np.errstate(invalid="ignore", divide="ignore"):
        trailing_known = known[:-1]
        average = (trailing[:, trailing_known].sum(axis=1) / trailing_known.sum()
                   if trailing_known.any() else np.full(n, np.nan))
        ratio = np.where(average > 0, last / average, np.nan)
        x = np.arange(len(window), dtype=np.float64)[known]
        y = sums[:, known]
        if len(x) >= 2:
            xc = x - x.mean()
            slope = (y - y.mean(axis=1, keepdims=True)) @ xc / (xc @ xc)
            mean_y = y.mean(axis=1)
            trend = np.where(mean_y > 0, slope / mean_y, np.nan)
        else:
            trend = np.full(n, np.nan)
    without = np.where(has_account & known.any(), (y == 0).sum(axis=1).astype(np.float64),
                       np.nan) if known.any() else np.full(n, np.nan)
    return FeatureBlock(columns={"inflow_last_month": last, "inflow_ratio_6m": ratio,
                                 "inflow_trend_6m": trend,
                                 "months_without_inflow_6m": without})
