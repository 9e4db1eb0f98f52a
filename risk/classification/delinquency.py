"""As-of delinquency of every loan, from its schedule and its repayments, in grouped numpy
passes over the whole book (no loop over loans).

Allocation rule: a loan's repayments up to the as-of date are pooled and applied to its
installments in schedule order (oldest due date first) and, within an installment, to the
interest before the principal. An installment is paid on the day the running total of
repayments reaches the running total due through it; what the pool does not reach is
unpaid, and unpaid after its due date is overdue. Money beyond every installment due so far
is a prepayment of principal.

Agreed payment pauses (modifications of kind ``payment_pause``): an installment falling due
within ``effective_on..pause_until`` is due on the day after the pause instead, and days of
a pause never count as days past due (an installment already overdue when a pause starts
stops ageing during it).

Days past due are the days since the (effective) due date of the oldest installment not
fully paid, net of paused days: on its due date an installment is not overdue, a day later
it is 1 day past due. Arrears that a pause froze stay overdue amounts (the loan stays at
least Special mention) while their days stop counting.

The history of each installment (when it was paid, how late, net of pauses) is kept for
the rules that look back: the upgrade of a non-performing loan, and restructured loans'
observation periods.

Complexity: O(n log n) in the number of installments and repayments; memory a few arrays of
their length.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np

from risk.classification.book import LoanBook

__all__ = ["NEVER", "Delinquency", "add_months", "count_between", "delinquency",
           "grouped_starts"]

#: A day number later than any date (an installment not yet paid is "paid" then).
NEVER: Final = np.iinfo(np.int64).max // 4
#: Key spacing when (loan, day) pairs are folded into one int64 (days below 2^24 apart).
_KEY: Final = 1 << 24


def grouped_starts(group: np.ndarray, n: int) -> np.ndarray:
    """For rows sorted by ``group`` (0..n-1): row ``starts[g]`` is the first of group g and
    ``starts[g + 1]`` the first after it."""
    return np.searchsorted(group, np.arange(n + 1), side="left")


def _grouped_sum(values: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Exact int64 sums of consecutive groups (empty groups sum to 0)."""
    running = np.concatenate(([0], np.cumsum(values, dtype=np.int64)))
    return running[starts[1:]] - running[starts[:-1]]


def _grouped_cumsum(values: np.ndarray, group: np.ndarray, starts: np.ndarray) -> np.ndarray:
    running = np.cumsum(values, dtype=np.int64)
    before = np.concatenate(([0], running))[starts[:-1]]
    return running - before[group]


def add_months(days: np.ndarray, months: int) -> np.ndarray:
    """Day numbers ``months`` calendar months after ``days`` (the 31st becomes the last day
    of a shorter month)."""
    as_dates = np.asarray(days, dtype=np.int64).astype("datetime64[D]")
    month = as_dates.astype("datetime64[M]")
    offset = as_dates - month.astype("datetime64[D]")
    target = month + months
    last = (target + 1).astype("datetime64[D]") - 1
    return np.minimum(target.astype("datetime64[D]") + offset, last).astype(np.int64)


def count_between(sorted_keys: np.ndarray, loan: np.ndarray, after: np.ndarray,
                  before: np.ndarray, base: int) -> np.ndarray:
    """How many of ``sorted_keys`` (``loan * _KEY + day - base``) fall strictly after
    ``after`` and on or before ``before``, per row of ``loan``."""
    lo = loan * _KEY + np.clip(after - base, -1, _KEY - 1)
    hi = loan * _KEY + np.clip(before - base, -1, _KEY - 1)
    counted = (np.searchsorted(sorted_keys, hi, side="right")
               - np.searchsorted(sorted_keys, lo, side="right"))
    return np.maximum(counted, 0)


@dataclass(frozen=True, slots=True)
class Delinquency:
    """Per loan (index of the book) and per installment, as of the book's date.

    Per loan: ``overdue_principal``/``overdue_interest`` (minor units), ``days_past_due``
    (net of pauses; 0 when nothing is overdue), ``missed`` (installments due and not fully
    paid), ``outstanding`` (principal not yet repaid), ``paid`` (all repayments),
    ``oldest_due`` (effective due day of the oldest unpaid installment, ``NEVER`` if none).

    Per installment (rows of ``book.inst_*``): ``effective_due``, ``paid_day`` (``NEVER``
    when not fully paid by the as-of date) and ``days_late`` (net of pauses; for an unpaid
    installment, as of the as-of date; 0 when on time or not yet due).
    """

    overdue_principal: np.ndarray
    overdue_interest: np.ndarray
    days_past_due: np.ndarray
    missed: np.ndarray
    outstanding: np.ndarray
    paid: np.ndarray
    oldest_due: np.ndarray
    effective_due: np.ndarray
    paid_day: np.ndarray
    days_late: np.ndarray
    inst_starts: np.ndarray
    pause_loan: np.ndarray
    pause_start: np.ndarray
    pause_end: np.ndarray
    #: ``overdue_principal + overdue_interest``.
    overdue: np.ndarray

    def due_keys(self, loan: np.ndarray, base: int, as_of_day: int) -> np.ndarray:
        """Sorted ``loan * _KEY + effective_due - base`` of the installments due by the
        as-of date (for :func:`count_between`)."""
        mask = self.effective_due <= as_of_day
        return np.sort(loan[mask] * _KEY + (self.effective_due[mask] - base))


def _merged_pauses(book: LoanBook) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The pauses of each loan (loan, first day, last day), overlapping ones merged, sorted.

    A Python loop over pauses (a small share of the modifications), not over loans.
    """
    mods = book.modifications
    is_pause = mods.pause_end >= 0
    loans = mods.loan[is_pause].tolist()
    starts = mods.effective[is_pause].tolist()
    ends = mods.pause_end[is_pause].tolist()
    merged: list[list[int]] = []
    for loan, start, end in sorted(zip(loans, starts, ends, strict=True)):
        if merged and merged[-1][0] == loan and start <= merged[-1][2] + 1:
            merged[-1][2] = max(merged[-1][2], end)
        else:
            merged.append([loan, start, end])
    if not merged:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, empty
    array = np.array(merged, dtype=np.int64)
    return array[:, 0], array[:, 1], array[:, 2]


def paused_days(pause_loan: np.ndarray, pause_start: np.ndarray, pause_end: np.ndarray,
                loan: np.ndarray, after: np.ndarray, until: np.ndarray) -> np.ndarray:
    """Days d with ``after < d <= until`` inside a pause of the row's loan, per row.

    Rows need not be sorted; the pauses are (few and) sorted by loan.
    """
    total = np.zeros(len(loan), dtype=np.int64)
    if len(pause_loan) == 0 or len(loan) == 0:
        return total
    if len(loan) < len(pause_loan):
        relevant = np.isin(pause_loan, loan)
        pause_loan, pause_start, pause_end = (pause_loan[relevant], pause_start[relevant],
                                              pause_end[relevant])
    if bool(np.all(loan[1:] >= loan[:-1])):
        order = np.arange(len(loan))
        sorted_loan = loan
    else:
        order = np.argsort(loan, kind="stable")
        sorted_loan = loan[order]
    for p_loan, first, last in zip(pause_loan.tolist(), pause_start.tolist(),
                                   pause_end.tolist(), strict=True):
        lo, hi = np.searchsorted(sorted_loan, [p_loan, p_loan + 1])
        if lo == hi:
            continue
        rows = order[lo:hi]
        overlap = (np.minimum(last, until[rows]) - np.maximum(first, after[rows] + 1) + 1)
        total[rows] += np.maximum(overlap, 0)
    return total


def _paid_days(book: LoanBook, cum_due: np.ndarray) -> np.ndarray:
    """The day each installment was fully paid: the first repayment whose running total
    (per loan) reaches the running total due through the installment; ``NEVER`` if none."""
    n = len(book)
    m = len(cum_due)
    if m == 0:
        return np.zeros(0, dtype=np.int64)
    rep_starts = grouped_starts(book.rep_loan, n)
    cum_paid = _grouped_cumsum(book.rep_amount, book.rep_loan, rep_starts)
    loan = np.concatenate((book.inst_loan, book.rep_loan))
    value = np.concatenate((cum_due, cum_paid))
    kind = np.concatenate((np.zeros(m, dtype=np.int8), np.ones(len(cum_paid), dtype=np.int8)))
    order = np.lexsort((kind, value, loan))
    position = np.arange(len(order))
    is_rep = kind[order] == 1
    next_rep = np.where(is_rep, position, NEVER)
    next_rep = np.minimum.accumulate(next_rep[::-1])[::-1]
    inst_positions = np.empty(m, dtype=np.int64)
    inst_positions[order[~is_rep]] = position[~is_rep]
    found = next_rep[inst_positions]
    ok = found < len(order)
    paid = np.full(m, NEVER, dtype=np.int64)
    rep_index = order[np.where(ok, found, 0)] - m
    same_loan = ok & (loan[order[np.where(ok, found, 0)]] == book.inst_loan)
    if len(book.rep_day):
        rep_day = book.rep_day[np.clip(rep_index, 0, len(book.rep_day) - 1)]
        paid[same_loan] = rep_day[same_loan]
    # An installment of nothing (or reached before any repayment) is paid when it is due.
    paid[cum_due <= 0] = book.inst_due[cum_due <= 0]
    return paid


def delinquency(book: LoanBook) -> Delinquency:
    """Overdue amounts, days past due, missed installments and each installment's history,
    for every loan of ``book`` as of its date (see the module's allocation rule)."""
    n = len(book)
    as_of = book.as_of_day
    inst_starts = grouped_starts(book.inst_loan, n)
    pause_loan, pause_start, pause_end = _merged_pauses(book)

    effective_due = book.inst_due.copy()
    if len(pause_loan):
        # Only loans with pauses are touched: a loop over pauses, not loans.
        for p_loan, first, last in zip(pause_loan.tolist(), pause_start.tolist(),
                                       pause_end.tolist(), strict=True):
            lo, hi = inst_starts[p_loan], inst_starts[p_loan + 1]
            due = book.inst_due[lo:hi]
            inside = (due >= first) & (due <= last)
            segment = effective_due[lo:hi]
            segment[inside] = np.maximum(segment[inside], last + 1)

    # Interest before principal within an installment, installments in schedule order.
    components = np.empty(2 * len(book.inst_loan), dtype=np.int64)
    components[0::2] = book.inst_interest
    components[1::2] = book.inst_principal
    comp_loan = np.repeat(book.inst_loan, 2)
    comp_starts = 2 * inst_starts
    cum = _grouped_cumsum(components, comp_loan, comp_starts)
    paid_total = _grouped_sum(book.rep_amount, grouped_starts(book.rep_loan, n))
    pool = paid_total[comp_loan]
    comp_paid = np.clip(pool - (cum - components), 0, components)
    comp_unpaid = components - comp_paid
    due_now = effective_due <= as_of
    past_due = effective_due < as_of  # on its due date an installment is not yet overdue
    cum_due = cum[1::2]
    unpaid = cum_due > paid_total[book.inst_loan]

    overdue_interest = _grouped_sum(np.where(past_due, comp_unpaid[0::2], 0), inst_starts)
    overdue_principal = _grouped_sum(np.where(past_due, comp_unpaid[1::2], 0), inst_starts)
    principal_paid = _grouped_sum(comp_paid[1::2], inst_starts)
    scheduled = _grouped_sum(components, comp_starts)
    prepaid = np.maximum(paid_total - scheduled, 0)
    outstanding = np.maximum(book.principal - principal_paid - prepaid, 0)
    missed = _grouped_sum((past_due & unpaid).astype(np.int64), inst_starts)

    oldest_due = np.full(n, NEVER, dtype=np.int64)
    late_now = past_due & unpaid
    np.minimum.at(oldest_due, book.inst_loan[late_now], effective_due[late_now])
    has_arrears = oldest_due < NEVER
    loans = np.arange(n, dtype=np.int64)
    start = np.where(has_arrears, oldest_due, as_of)
    gross = np.where(has_arrears, as_of - start, 0)
    net = gross - paused_days(pause_loan, pause_start, pause_end, loans, start,
                              np.full(n, as_of, dtype=np.int64))
    days_past_due = np.maximum(net, 0)

    paid_day = _paid_days(book, cum_due)
    paid_day = np.where(unpaid, NEVER, paid_day)
    settled = np.minimum(paid_day, as_of)
    gross_late = np.where(due_now, np.maximum(settled - effective_due, 0), 0)
    days_late = np.maximum(gross_late - paused_days(
        pause_loan, pause_start, pause_end, book.inst_loan, effective_due,
        np.maximum(settled, effective_due)), 0)
    return Delinquency(
        overdue_principal=overdue_principal, overdue_interest=overdue_interest,
        days_past_due=days_past_due, missed=missed, outstanding=outstanding,
        paid=paid_total, oldest_due=oldest_due, effective_due=effective_due,
        paid_day=paid_day, days_late=days_late, inst_starts=inst_starts,
        pause_loan=pause_loan, pause_start=pause_start, pause_end=pause_end,
        overdue=overdue_principal + overdue_interest,
    )
