"""Repayment behaviour per borrower as of D, over all its loans disbursed by D, from the
classification's as-of delinquency pass (installments due and repayments paid by D only):

* ``days_past_due``: the most days past due of its loans on D;
* ``max_dpd_{3,6,12}m``: the most days any installment was past due at some day of the
  last 3, 6, 12 months (net of payment pauses);
* ``missed_{3,6,12}m``: installments due in the window that were not paid in full by their
  (effective) due date, and ``partial_{3,6,12}m`` those of them partly paid by then;
* ``on_time_share_12m``: the share of installments due in the last 12 months paid in full
  by their due date (NaN when none fell due);
* ``months_since_delinquency``: months since the last day an installment was past due (0
  when one is past due on D, NaN when none ever was).

Windows are calendar months back from D: ``(D - 3 months, D]``.
"""

from __future__ import annotations

from typing import Final

import numpy as np

from risk.classification.delinquency import add_months, grouped_starts
from risk.models.portfolio_features.inputs import DAYS_PER_MONTH, AsOfInputs, FeatureBlock

__all__ = ["COLUMNS", "WINDOWS", "repayment_features"]

#: Look-back windows in months.
WINDOWS: Final = (3, 6, 12)
COLUMNS: Final = ("days_past_due", *(f"max_dpd_{w}m" for w in WINDOWS),
                  *(f"missed_{w}m" for w in WINDOWS), *(f"partial_{w}m" for w in WINDOWS),
                  "on_time_share_12m", "months_since_delinquency")
_KEY: Final = 1 << 24


def _paid_by_due(inputs: AsOfInputs) -> tuple[np.ndarray, np.ndarray]:
    """Per installment: (amount due, amount of it paid by its effective due date), the
    loan's repayments applied to its installments in schedule order."""
    book, dq = inputs.book, inputs.dq
    n = len(book)
    amount = book.inst_principal + book.inst_interest
    inst_starts = grouped_starts(book.inst_loan, n)
    running = np.cumsum(amount, dtype=np.int64)
    before_loan = np.concatenate(([0], running))[inst_starts[:-1]]
    cum_due = running - before_loan[book.inst_loan]
    base = int(min(book.rep_day.min(initial=0), dq.effective_due.min(initial=0)))
    rep_key = book.rep_loan * _KEY + (book.rep_day - base)
    paid_running = np.concatenate(([0], np.cumsum(book.rep_amount, dtype=np.int64)))
    rep_starts = grouped_starts(book.rep_loan, n)
    inst_key = book.inst_loan * _KEY + np.clip(dq.effective_due - base, -1, _KEY - 1)
    reached = np.searchsorted(rep_key, inst_key, side="right")
    paid = paid_running[reached] - paid_running[rep_starts[book.inst_loan]]
    toward = np.clip(paid - (cum_due - amount), 0, amount)
    return amount, toward


def repayment_features(inputs: AsOfInputs) -> FeatureBlock:
    """The columns of :data:`COLUMNS` (see the module)."""
    book, dq, n, day = inputs.book, inputs.dq, inputs.n, inputs.day
    columns: dict[str, np.ndarray] = {}
    loan_rows = inputs.loan_row
    scored = loan_rows >= 0
    current = np.zeros(n)
    np.maximum.at(current, loan_rows[scored], dq.days_past_due[scored].astype(np.float64))
    columns["days_past_due"] = current

    inst_row = loan_rows[book.inst_loan]
    due = dq.effective_due
    # On its due date an installment is not yet missed (as the classification counts).
    fell_due = (due < day) & (inst_row >= 0)
    paid_day = dq.paid_day
    late = fell_due & (paid_day > due)
    # The last day an installment was past due: the day before it was paid, or D.
    last_late = np.where(paid_day <= day, paid_day - 1, day)
    peak = np.where(paid_day <= day, dq.days_late - 1, dq.days_late).astype(np.float64)
    amount, toward = _paid_by_due(inputs)
    partly = late & (toward > 0) & (toward < amount)
    starts = {w: int(add_months(np.array([day]), -w)[0]) for w in WINDOWS}
    for w in WINDOWS:
        since = starts[w]
        window_late = late & (last_late > since) & (peak > 0)
        worst = np.zeros(n)
        np.maximum.at(worst, inst_row[window_late], peak[window_late])
        columns[f"max_dpd_{w}m"] = worst
    for w in WINDOWS:
        due_in = fell_due & (due > starts[w])
        columns[f"missed_{w}m"] = np.bincount(inst_row[due_in & late], minlength=n
                                              ).astype(np.float64)
    for w in WINDOWS:
        due_in = fell_due & (due > starts[w])
        columns[f"partial_{w}m"] = np.bincount(inst_row[due_in & partly], minlength=n
                                               ).astype(np.float64)
    due_12 = fell_due & (due > starts[12])
    count_12 = np.bincount(inst_row[due_12], minlength=n).astype(np.float64)
    on_time = np.bincount(inst_row[due_12 & ~late], minlength=n).astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        columns["on_time_share_12m"] = np.where(count_12 > 0, on_time / count_12, np.nan)
    last = np.full(n, -1, dtype=np.int64)
    ever = late & (dq.days_late > 0)
    np.maximum.at(last, inst_row[ever], np.minimum(last_late[ever], day))
    months = np.where(last >= 0, (day - last) / DAYS_PER_MONTH, np.nan)
    columns["months_since_delinquency"] = np.where(current > 0, 0.0, months)
    return FeatureBlock(columns=columns)
