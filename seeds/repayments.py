"""Repayment behaviour, loan outcomes, and the loan, installment, repayment and collateral
files, written loan chunk by loan chunk.

Each installment is paid in full, ``delay`` days after its due date. A borrower pays late
with a probability that rises with its latent risk in the month the installment falls
due (about 3 % for a typical borrower), by a few days to a few weeks, rarely by two months;
payments of one loan never overtake each other. A borrower pays nothing on or after its
default day, and nothing after ``as_of`` is recorded. So a loan's repayments are always a
prefix of its schedule, and what a lender sees (days past due) lags and blurs the truth.

At ``as_of`` a loan is ``closed`` when every installment is paid, ``written_off`` when its
oldest unpaid installment is 180 or more days past due, and ``active`` otherwise. It is
non-performing when written off or 90+ days past due.

The same pass accumulates, per party and bureau snapshot date, the open loans, the
outstanding principal, the loans overdue on that date and the outstanding principal of
those more than 90 days overdue; and it writes the loans' modifications
(:mod:`seeds.modifications`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from seeds import catalogs as cat
from seeds.config import PortfolioConfig
from seeds.loans import LoanBook, loan_ids
from seeds.modifications import write_modifications
from seeds.parties import party_ids
from seeds.randomness import stage_rng, weighted_choice
from seeds.risk import RiskOutcome
from seeds.schedules import amortize
from seeds.timeline import Timeline, add_months, days_to_months
from seeds.writer import PortfolioWriter

__all__ = ["ACTIVE", "CLOSED", "LOAN_CHUNK", "STATUSES", "WRITTEN_OFF", "LoanOutcomes",
           "write_loan_history"]

STATUSES = ("active", "closed", "written_off")
ACTIVE, CLOSED, WRITTEN_OFF = range(3)
LOAN_CHUNK = 50_000  # fixed: the draws depend on it, so it is not a setting
_CHANNELS = np.array([c for c, _ in cat.REPAYMENT_CHANNELS])
_COLLATERAL = {
    "personal_business": ((0, 0.7), (1, 0.3)),
    "working_capital": ((2, 0.4), (0, 0.4), (1, 0.2)),
    "trade_finance": ((2, 0.6), (3, 0.4)),
    "fixed_asset": ((0, 0.5), (1, 0.3), (4, 0.2)),
}


@dataclass(slots=True)
class LoanOutcomes:
    """Per-loan state at ``as_of`` and per-party bureau aggregates per snapshot date.

    ``snapshot_*`` arrays have shape ``(snapshots, parties)``.
    """

    status: np.ndarray
    dpd: np.ndarray
    snapshot_open: np.ndarray
    snapshot_debt: np.ndarray
    snapshot_overdue: np.ndarray
    #: Outstanding principal of loans more than 90 days overdue, per snapshot and party.
    snapshot_overdue_90: np.ndarray
    repayments: int = 0
    modifications: int = 0

    @property
    def npl(self) -> np.ndarray:
        """Mask of non-performing loans: written off or 90+ days past due."""
        return (self.status == WRITTEN_OFF) | (self.dpd >= 90)


def write_loan_history(config: PortfolioConfig, book: LoanBook, risk: RiskOutcome,
                       snapshot_days: np.ndarray, n_persons: int, writer: PortfolioWriter,
                       progress: Callable[[float], None] | None = None) -> LoanOutcomes:
    """Simulate repayments and write loans, installments, repayments and collateral.

    Parameters:
        snapshot_days: the bureau snapshot dates (day numbers).
        progress: called with the fraction of loans done.

    Complexity: O(installments) time; O(LOAN_CHUNK × max installments) working memory
    plus the per-party snapshot aggregates.
    """
    n_loans, n = len(book), len(risk.baseline)
    out = LoanOutcomes(
        status=np.zeros(n_loans, dtype=np.int8), dpd=np.zeros(n_loans, dtype=np.int32),
        snapshot_open=np.zeros((len(snapshot_days), n), dtype=np.int32),
        snapshot_debt=np.zeros((len(snapshot_days), n), dtype=np.int64),
        snapshot_overdue=np.zeros((len(snapshot_days), n), dtype=np.int32),
        snapshot_overdue_90=np.zeros((len(snapshot_days), n), dtype=np.int64))
    collateral_seq = 0
    for c, start in enumerate(range(0, n_loans, LOAN_CHUNK)):
        idx = np.arange(start, min(start + LOAN_CHUNK, n_loans))
        rng = stage_rng(config.seed, "repayments", c)
        _simulate_chunk(config, book, risk, idx, rng, snapshot_days, n_persons, writer, out, c)
        collateral_seq = _write_collateral(config, book, idx, c, collateral_seq, writer)
        if progress is not None:
            progress(min(start + LOAN_CHUNK, n_loans) / n_loans)
    return out


def _simulate_chunk(config: PortfolioConfig, book: LoanBook, risk: RiskOutcome,
                    idx: np.ndarray, rng: np.random.Generator, snapshot_days: np.ndarray,
                    n_persons: int, writer: PortfolioWriter, out: LoanOutcomes,
                    chunk: int) -> None:
    """Schedules, payments and outcomes of loans ``idx``; writes their rows and adds their
    bureau aggregates to ``out``. O(len(idx) × max installments)."""
    timeline = Timeline(config.as_of, config.months)
    as_of = timeline.as_of_day
    sched = amortize(book.principal[idx], book.rate[idx], book.term[idx],
                     book.installments[idx], book.period[idx], book.method[idx].astype(np.int64))
    width = sched.principal.shape[1]
    valid = sched.valid()
    steps = (np.arange(1, width + 1)[None, :] * book.period[idx][:, None])
    due = add_months(np.repeat(book.disbursed[idx][:, None], width, axis=1), steps)
    borrower = book.borrower[idx]
    month = np.clip(days_to_months(due) - timeline.start_month, 0, config.months - 1)
    excess = risk.latent[borrower[:, None], month] - np.log(config.base_default_intensity)
    late = rng.random(due.shape) < 1.0 / (1.0 + np.exp(3.6 - 0.7 * excess))
    scale = 3.0 + 12.0 / (1.0 + np.exp(2.0 - 0.6 * excess))
    delay = 1 + np.floor(rng.exponential(1.0, due.shape) * scale).astype(np.int64)
    delay += np.where(rng.random(due.shape) < 0.05, rng.integers(20, 60, due.shape), 0)
    pay = np.maximum.accumulate(due + np.where(late, delay, 0), axis=1)
    limit = np.minimum(risk.default_day[borrower], as_of + 1)
    paid = valid & (pay < limit[:, None])
    n_paid = paid.sum(axis=1)
    count = sched.count
    next_due = due[np.arange(len(idx)), np.minimum(n_paid, width - 1)]
    overdue = (n_paid < count) & (next_due <= as_of)
    dpd = np.where(overdue, as_of - next_due, 0)
    status = np.where(n_paid == count, 1, np.where(dpd >= 180, 2, 0)).astype(np.int8)
    out.status[idx], out.dpd[idx] = status, dpd
    cum_principal = np.concatenate([np.zeros((len(idx), 1), dtype=np.int64),
                                    np.cumsum(sched.principal, axis=1)], axis=1)
    rows = np.arange(len(idx))
    for s, day in enumerate(snapshot_days.tolist()):
        opened = book.disbursed[idx] <= day
        paid_by = (paid & (pay <= day)).sum(axis=1)
        is_open = opened & (paid_by < count)
        oldest_due = due[rows, np.minimum(paid_by, width - 1)]
        late_on = is_open & (oldest_due <= day)
        owed = np.where(is_open, book.principal[idx] - cum_principal[rows, paid_by], 0)
        late_90 = is_open & (oldest_due < day - 90)
        n = out.snapshot_open.shape[1]
        out.snapshot_open[s] += np.bincount(borrower, is_open, n).astype(np.int32)
        out.snapshot_overdue[s] += np.bincount(borrower, late_on, n).astype(np.int32)
        out.snapshot_debt[s] += np.bincount(borrower, owed, n).astype(np.int64)
        out.snapshot_overdue_90[s] += np.bincount(
            borrower, np.where(late_90, owed, 0), n).astype(np.int64)
    ids = np.array(loan_ids(idx), dtype=object)
    writer.write("loans", {
        "id": ids, "borrower_id": party_ids(borrower, n_persons),
        "product": np.array([p.code for p in cat.PRODUCTS])[book.product[idx]],
        "principal": book.principal[idx], "currency": [cat.CURRENCY] * len(idx),
        "annual_rate": book.rate[idx], "term_months": book.term[idx],
        "disbursed_on": book.disbursed[idx], "maturity_on": book.maturity[idx],
        "repayment_method": np.array(["annuity", "equal_principal", "interest_only",
                                      "bullet"])[book.method[idx]],
        "status": np.array(STATUSES)[status],
        "origination_pd": book.origination_pd[idx],
    }, missing={"origination_pd": book.origination_pd_missing[idx]})
    loan_row, seq = np.nonzero(valid)
    writer.write("installments", {
        "loan_id": ids[loan_row], "seq": seq + 1, "due_on": due[loan_row, seq],
        "principal_due": sched.principal[loan_row, seq],
        "interest_due": sched.interest[loan_row, seq]})
    loan_row, seq = np.nonzero(paid)
    channel = weighted_choice(rng, [w for _, w in cat.REPAYMENT_CHANNELS], len(loan_row))
    channel = np.where(late[loan_row, seq] & (rng.random(len(loan_row)) < 0.5), 2, channel)
    first_id = out.repayments
    out.repayments += len(loan_row)
    writer.write("repayments", {
        "id": [f"R{i:010d}" for i in range(first_id + 1, out.repayments + 1)],
        "loan_id": ids[loan_row], "paid_on": pay[loan_row, seq],
        "amount": sched.total[loan_row, seq], "channel": _CHANNELS[channel]})
    unpaid_day = np.where(paid, pay, as_of + 1)
    out.modifications = write_modifications(config, ids, due, unpaid_day, valid, as_of, chunk,
                                            out.modifications, writer)


def _write_collateral(config: PortfolioConfig, book: LoanBook, idx: np.ndarray, chunk: int,
                      seq: int, writer: PortfolioWriter) -> int:
    """Collateral for secured products; returns the next collateral number. O(chunk)."""
    rng = stage_rng(config.seed, "collateral", chunk)
    prob = np.array([p.collateral_prob for p in cat.PRODUCTS])[book.product[idx]]
    secured = idx[rng.random(len(idx)) < prob]
    kinds = np.zeros(len(secured), dtype=np.int64)
    codes = np.array([p.code for p in cat.PRODUCTS])[book.product[secured]]
    for code, options in _COLLATERAL.items():
        sel = np.flatnonzero(codes == code)
        pick = weighted_choice(rng, [w for _, w in options], len(sel))
        kinds[sel] = np.array([k for k, _ in options])[pick]
    cover = np.where(kinds == 3, rng.uniform(1.0, 1.1, len(secured)),
                     rng.uniform(1.2, 2.0, len(secured)))
    value = (book.principal[secured] * cover).astype(np.int64) // 100 * 100
    writer.write("collateral", {
        "id": [f"COL{i:09d}" for i in range(seq + 1, seq + len(secured) + 1)],
        "loan_id": loan_ids(secured), "kind": np.array(cat.COLLATERAL_KINDS)[kinds],
        "value": value,
        "valued_on": book.disbursed[secured] - rng.integers(0, 21, len(secured)),
        "currency": [cat.CURRENCY] * len(secured)})
    return seq + len(secured)
