"""Five-tier classification (正常/关注/次级/可疑/损失) under China's 2023 measures.

Every rule sets a *minimum* tier with a :class:`Reason`; a loan's tier is the worst of
them (Pass when none applies). The rules, by id:

* ``overdue.any`` / ``overdue.over_90`` / ``overdue.over_270`` / ``overdue.over_360``: any
  overdue principal or interest makes a loan at least Special mention; more than 90 days
  past due at least Substandard, more than 270 Doubtful, more than 360 Loss (days net of
  agreed payment pauses, see :mod:`risk.classification.delinquency`).
* ``npl.not_upgraded``: a loan that turned non-performing keeps the worst non-performing
  tier of its latest episode of arrears until it meets the upgrade condition: the arrears
  repaid, then at least two consecutive installments paid on time and six months passed,
  whichever is longer (不良资产上调: 逾期的债权及相关费用已全部偿付, 并至少在随后连续两个
  还款期或6个月内正常偿付, 按孰长原则). An episode ends when such a run separates it from
  the next late installment.
* ``restructured.observation``: a restructured loan (a modification granted for financial
  difficulty) is at least Special mention during its observation period, and no better than
  its tier on the day before the modification. The period starts at the first repayment
  date after the modification (after the pause, for a pause), lasts at least one year and
  two repayment periods, and starts again from a repayment missed during it.
* ``restructured.overdue_in_observation`` / ``restructured.again_in_observation``: overdue,
  or restructured again, during the observation period: at least Substandard (configurable).
* ``debtor.npl_share``: non-retail debtors only; when more than 10% of the debtor's exposure
  with us (outstanding principal plus overdue interest) is non-performing, all of it is at
  least Substandard. Amounts of different currencies are not added (no exchange rates
  here): the share is taken per currency and the rule applies when any currency's exceeds.
* ``debtor.bureau_overdue_90``: non-retail debtors only; when the latest bureau snapshot on
  or before the as-of date shows debts more than 90 days overdue at all lenders above 20%
  of the debts there, at least Substandard.
* ``impaired``: a credit-impaired asset is at least Substandard.
* ``qualitative``: signals an officer or a rule raises (a court case, fraud...) can only
  worsen the tier, never improve it.

Retail or not: a loan is retail when its borrower is a ``Person`` node in the graph and
non-retail when it is a ``Company`` node (see :func:`borrower_is_retail`).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from graph.model import Label
from graph.store import GraphStore
from portfolio.money import minor_to_decimal
from risk.classification.book import LoanBook, to_date
from risk.classification.config import DEFAULT_CLASSIFICATION, ClassificationConfig
from risk.classification.delinquency import (
    NEVER,
    Delinquency,
    add_months,
    count_between,
    paused_days,
)
from risk.classification.tiers import Reason, Tier

__all__ = ["QualitativeSignal", "TierResult", "borrower_is_retail", "classify_tiers"]

_BORROWER_BATCH = 10_000


@dataclass(frozen=True, slots=True)
class QualitativeSignal:
    """A judgement that a loan is at least ``tier`` (it can only worsen the tier)."""

    tier: Tier
    text: str
    rule: str = "qualitative"


@dataclass(frozen=True, slots=True)
class TierResult:
    """The tier of one loan and every rule that set a minimum, worst first."""

    loan_id: str
    tier: Tier
    retail: bool
    reasons: tuple[Reason, ...] = field(default_factory=tuple)


def borrower_is_retail(store: GraphStore, borrower_ids: Sequence[str], *,
                       unknown_retail: bool = False) -> np.ndarray:
    """Whether each borrower is retail: a ``Person`` node is, a ``Company`` node is not; a
    borrower the graph does not hold (or holds under another label) is ``unknown_retail``.
    """
    unique = sorted(set(borrower_ids))
    labels: dict[str, Label] = {}
    for start in range(0, len(unique), _BORROWER_BATCH):
        labels.update(store.labels_of(unique[start:start + _BORROWER_BATCH]))
    return np.array([
        True if labels.get(b) is Label.PERSON else
        False if labels.get(b) is Label.COMPANY else unknown_retail
        for b in borrower_ids], dtype=bool)


def _money(minor: int, currency: str) -> str:
    return str(minor_to_decimal(int(minor), currency))


class _Reasons:
    """Reasons per loan, collected rule by rule; only loans with a reason get a list."""

    def __init__(self, n: int) -> None:
        self._floor = [0] * n
        self.lists: dict[int, list[Reason]] = {}

    @property
    def floor(self) -> np.ndarray:
        return np.array(self._floor, dtype=np.int8)

    def add(self, loan: int, reason: Reason) -> None:
        self.lists.setdefault(loan, []).append(reason)
        level = int(reason.tier)
        if level > self._floor[loan]:
            self._floor[loan] = level


def _overdue_rules(book: LoanBook, dq: Delinquency, config: ClassificationConfig,
                   reasons: _Reasons) -> None:
    floors = [(config.loss_days, Tier.LOSS, "overdue.over_360"),
              (config.doubtful_days, Tier.DOUBTFUL, "overdue.over_270"),
              (config.substandard_days, Tier.SUBSTANDARD, "overdue.over_90"),
              (config.special_mention_days, Tier.SPECIAL_MENTION, "overdue.any")]
    dpd = dq.days_past_due
    for loan in np.flatnonzero((dpd > config.special_mention_days) | (dq.overdue > 0)).tolist():
        days = int(dpd[loan])
        tier, rule, limit = Tier.SPECIAL_MENTION, "overdue.any", config.special_mention_days
        for limit_days, floor_tier, floor_rule in floors:
            if days > limit_days:
                tier, rule, limit = floor_tier, floor_rule, limit_days
                break
        if days <= config.special_mention_days and config.special_mention_days > 0:
            continue  # overdue amounts within the configured grace of "any overdue"
        currency = book.currency[loan]
        reasons.add(loan, Reason(rule, tier, (
            f"{days} days past due (more than {limit}); oldest unpaid installment due "
            f"{to_date(dq.oldest_due[loan]).isoformat()}"), {
            "days_past_due": days,
            "overdue_principal": _money(dq.overdue_principal[loan], currency),
            "overdue_interest": _money(dq.overdue_interest[loan], currency),
            "missed_installments": int(dq.missed[loan]), "currency": currency}))


def _npl_hold(book: LoanBook, dq: Delinquency, config: ClassificationConfig,
              reasons: _Reasons) -> None:
    """``npl.not_upgraded``: the latest episode of arrears, its worst tier, and whether the
    upgrade condition has been met since it ended."""
    as_of = book.as_of_day
    late = dq.days_late > 0
    if not late.any():
        return
    loan = book.inst_loan[late]
    clear = dq.paid_day[late]  # NEVER while still unpaid
    due = dq.effective_due[late]
    lateness = dq.days_late[late]
    order = np.lexsort((due, clear, loan))
    loan, clear, due, lateness = loan[order], clear[order], due[order], lateness[order]
    base = int(dq.effective_due.min()) - 1 if len(dq.effective_due) else 0
    keys = dq.due_keys(book.inst_loan, base, as_of)
    new_loan = np.concatenate(([True], loan[1:] != loan[:-1]))
    prev_clear = np.concatenate(([NEVER], clear[:-1]))
    capped_prev = np.minimum(prev_clear, as_of)
    on_time_run = count_between(keys, loan, capped_prev, due - 1, base)
    long_enough = due >= add_months(capped_prev, config.upgrade_min_months)
    breaks = new_loan | ((prev_clear < NEVER) & (on_time_run >= config.upgrade_min_periods)
                         & long_enough)
    episode = np.cumsum(breaks) - 1
    worst = np.zeros(episode[-1] + 1, dtype=np.int64)
    np.maximum.at(worst, episode, lateness)
    episode_clear = np.zeros(episode[-1] + 1, dtype=np.int64)
    np.maximum.at(episode_clear, episode, clear)
    last_rows = np.flatnonzero(np.concatenate((loan[1:] != loan[:-1], [True])))
    for row in last_rows.tolist():
        e = episode[row]
        tier = config.overdue_floor(int(worst[e]))
        if not tier.non_performing:
            continue
        cleared = int(episode_clear[e])
        target = int(loan[row])
        if cleared >= NEVER:
            continue  # still in arrears: the overdue floors speak
        cleared_arr = np.array([cleared])
        since = int(count_between(keys, np.array([target]), cleared_arr,
                                  np.array([as_of]), base)[0])
        months_until = int(add_months(cleared_arr, config.upgrade_min_months)[0])
        if since >= config.upgrade_min_periods and as_of >= months_until:
            continue
        reasons.add(target, Reason("npl.not_upgraded", tier, (
            f"non-performing ({int(worst[e])} days late at worst) until the upgrade "
            f"condition is met: arrears repaid on {to_date(cleared).isoformat()}, then "
            f"{since} of {config.upgrade_min_periods} on-time installments and "
            f"{config.upgrade_min_months} months (from {to_date(months_until).isoformat()})"),
            {"worst_days_late": int(worst[e]), "arrears_repaid_on": to_date(cleared).isoformat(),
             "on_time_installments_since": since,
             "required_installments": config.upgrade_min_periods,
             "upgrade_possible_from": to_date(months_until).isoformat()}))


def _dpd_on(book: LoanBook, dq: Delinquency, loan: int, day: int) -> int:
    """Days past due of ``loan`` on ``day`` (before the as-of date), from its history."""
    lo, hi = dq.inst_starts[loan], dq.inst_starts[loan + 1]
    due = dq.effective_due[lo:hi]
    unpaid_then = (due <= day) & (dq.paid_day[lo:hi] > day)
    if not unpaid_then.any():
        return 0
    oldest = int(due[unpaid_then].min())
    paused = paused_days(dq.pause_loan, dq.pause_start, dq.pause_end, np.array([loan]),
                         np.array([oldest]), np.array([day]))
    return max(day - oldest - int(paused[0]), 0)


def _restructuring(book: LoanBook, dq: Delinquency, config: ClassificationConfig,
                   reasons: _Reasons) -> None:
    mods = book.modifications
    as_of = book.as_of_day
    restructured = np.flatnonzero(mods.restructured)
    # The latest restructuring of each loan decides; an earlier one still in observation
    # when it was granted makes it a second restructuring.
    latest: dict[int, list[int]] = {}
    for m in restructured.tolist():
        latest.setdefault(int(mods.loan[m]), []).append(m)
    for loan, rows in latest.items():
        m = rows[-1]
        anchor = int(mods.pause_end[m]) + 1 if mods.pause_end[m] >= 0 else int(mods.effective[m])
        lo, hi = dq.inst_starts[loan], dq.inst_starts[loan + 1]
        due = dq.effective_due[lo:hi]
        late = dq.days_late[lo:hi] > 0
        after = due >= anchor
        start = int(due[after].min()) if after.any() else None
        restarted = False
        if start is not None:
            failed = after & late
            if failed.any():
                start = int(due[failed].max())
                restarted = True
        end: int | None = None
        if start is not None:
            periods = np.sort(due[due >= start])
            year_end = int(add_months(np.array([start]), config.observation_months)[0])
            if len(periods) >= config.observation_min_periods:
                nth = int(periods[config.observation_min_periods - 1]) \
                    if config.observation_min_periods else start
                end = max(year_end, nth)
            elif config.observation_min_periods == 0:
                end = year_end
        in_observation = end is None or as_of < end
        if not in_observation:
            continue
        before = int(mods.effective[m]) - 1
        prior = config.overdue_floor(_dpd_on(book, dq, loan, before))
        tier = max(Tier.SPECIAL_MENTION, prior)
        figures: dict[str, Any] = {
            "modification": str(mods.ids[m]), "kind": str(mods.kind[m]),
            "effective_on": to_date(mods.effective[m]).isoformat(),
            "observation_starts": None if start is None else to_date(start).isoformat(),
            "observation_ends": None if end is None else to_date(end).isoformat(),
            "restarted_after_missed_payment": restarted, "tier_before": prior.slug}
        reasons.add(loan, Reason("restructured.observation", tier, (
            f"restructured on {figures['effective_on']} ({mods.kind[m]}); in its observation "
            f"period until {figures['observation_ends'] or 'two repayment periods have passed'}"
            f", so at least {tier.slug.replace('_', ' ')} and no better than before"), figures))
        if dq.overdue[loan] > 0 or (start is not None and restarted):
            reasons.add(loan, Reason(
                "restructured.overdue_in_observation", config.restructured_overdue_tier,
                "a restructured loan not repaid on time during its observation period",
                {**figures, "days_past_due": int(dq.days_past_due[loan])}))
        if len(rows) > 1:
            previous = rows[-2]
            # Approximated as: granted within the minimum observation period of the earlier
            # one (its first repayment date is not looked up again).
            window_end = int(add_months(np.array([int(mods.effective[previous])]),
                                        config.observation_months)[0])
            if int(mods.effective[m]) < window_end:
                reasons.add(loan, Reason(
                    "restructured.again_in_observation", config.restructured_overdue_tier,
                    "restructured again during the observation period of an earlier "
                    "restructuring", {**figures, "previous": str(mods.ids[previous])}))


def _bureau_rule(book: LoanBook, retail: np.ndarray, config: ClassificationConfig,
                 reasons: _Reasons) -> None:
    bureau = book.bureau
    known = (~retail) & (bureau.total_debt > 0) & (bureau.overdue_90 >= 0)
    share = np.where(known, bureau.overdue_90 / np.where(known, bureau.total_debt, 1), 0.0)
    # Decided exactly, in integers: overdue_90 * 10^6 > limit * 10^6 * total_debt.
    scale = 1_000_000
    limit = round(config.bureau_overdue_share * scale)
    above = np.zeros(len(book), dtype=bool)
    rows = np.flatnonzero(known)
    above[rows] = (bureau.overdue_90[rows].astype(object) * scale
                   > bureau.total_debt[rows].astype(object) * limit).astype(bool)
    for loan in np.flatnonzero(above).tolist():
        currency = str(bureau.currency[loan] or book.currency[loan])
        reasons.add(loan, Reason("debtor.bureau_overdue_90", Tier.SUBSTANDARD, (
            f"the borrower's debts more than 90 days overdue at all lenders are "
            f"{share[loan]:.1%} of its debts there (more than "
            f"{config.bureau_overdue_share:.0%}; bureau snapshot of "
            f"{to_date(bureau.as_of[loan]).isoformat()})"), {
            "overdue_90": _money(bureau.overdue_90[loan], currency),
            "total_debt": _money(bureau.total_debt[loan], currency), "currency": currency,
            "share": round(float(share[loan]), 6),
            "snapshot_as_of": to_date(bureau.as_of[loan]).isoformat()}))


def _debtor_share(book: LoanBook, dq: Delinquency, retail: np.ndarray,
                  config: ClassificationConfig, reasons: _Reasons) -> None:
    exposure = dq.outstanding + dq.overdue_interest
    npl = reasons.floor >= Tier.SUBSTANDARD
    non_retail = ~retail
    if not (non_retail & npl).any():
        return
    # Groups of (borrower, currency) over non-retail loans; exact int64 sums.
    rows = np.flatnonzero(non_retail)
    keys = np.char.add(np.char.add(book.borrower_ids[rows].astype(str), "\x1f"),
                       book.currency[rows].astype(str))
    unique, group = np.unique(keys, return_inverse=True)
    total = np.zeros(len(unique), dtype=np.int64)
    bad = np.zeros(len(unique), dtype=np.int64)
    np.add.at(total, group, exposure[rows])
    np.add.at(bad, group, np.where(npl[rows], exposure[rows], 0))
    # bad / total > share, in exact integers: bad * 10^6 > share * 10^6 * total.
    scale = 1_000_000
    limit = round(config.debtor_npl_share * scale)
    hit = (total > 0) & (bad.astype(object) * scale > total.astype(object) * limit)
    if not hit.any():
        return
    borrowers, borrower_of_row = np.unique(book.borrower_ids[rows].astype(str),
                                           return_inverse=True)
    borrower_of_group = np.zeros(len(unique), dtype=np.int64)
    borrower_of_group[group] = borrower_of_row
    first_hit: dict[str, tuple[str, int, int]] = {}
    for g in np.flatnonzero(hit).tolist():
        borrower, currency = str(unique[g]).split("\x1f")
        first_hit.setdefault(borrower, (currency, int(bad[g]), int(total[g])))
    flagged = np.zeros(len(borrowers), dtype=bool)
    flagged[borrower_of_group[hit]] = True
    spread = rows[flagged[borrower_of_row] & ~npl[rows]]
    for loan in spread.tolist():
        borrower = str(book.borrower_ids[loan])
        currency, bad_sum, total_sum = first_hit[borrower]
        reasons.add(loan, Reason("debtor.npl_share", Tier.SUBSTANDARD, (
            f"{bad_sum / total_sum:.1%} of debtor {borrower}'s exposure with us is "
            f"non-performing (more than {config.debtor_npl_share:.0%}): all of it is"), {
            "debtor": borrower, "currency": currency,
            "non_performing": _money(bad_sum, currency),
            "exposure": _money(total_sum, currency), "share": round(bad_sum / total_sum, 6)}))


def classify_tiers(
    book: LoanBook,
    dq: Delinquency,
    retail: np.ndarray,
    *,
    config: ClassificationConfig = DEFAULT_CLASSIFICATION,
    qualitative: Mapping[str, Sequence[QualitativeSignal]] | None = None,
    impaired: Collection[str] = (),
) -> list[TierResult]:
    """The tier of every loan of ``book`` (in its order) with its reasons.

    Args:
        book, dq: the book as of its date and its :func:`delinquency`.
        retail: per loan, whether its borrower is retail (see :func:`borrower_is_retail`).
        qualitative: signals by loan id; each can only worsen the tier.
        impaired: ids of loans known to be credit-impaired (at least Substandard).
    """
    reasons = _Reasons(len(book))
    _overdue_rules(book, dq, config, reasons)
    _npl_hold(book, dq, config, reasons)
    _restructuring(book, dq, config, reasons)
    index = {loan_id: i for i, loan_id in enumerate(book.loan_ids.tolist())}
    for loan_id in impaired:
        if loan_id in index:
            reasons.add(index[loan_id], Reason(
                "impaired", Tier.SUBSTANDARD, "credit-impaired: at least substandard"))
    for loan_id, signals in (qualitative or {}).items():
        if loan_id in index:
            for signal in signals:
                reasons.add(index[loan_id], Reason(signal.rule, signal.tier, signal.text))
    _bureau_rule(book, retail, config, reasons)
    _debtor_share(book, dq, retail, config, reasons)
    results = []
    tiers = list(Tier)
    floors = reasons.floor.tolist()
    lists = reasons.lists
    for loan, (loan_id, is_retail) in enumerate(zip(book.loan_ids.tolist(), retail.tolist(),
                                                    strict=True)):
        found = lists.get(loan)
        if found:
            found.sort(key=lambda r: -r.tier)
        results.append(TierResult(loan_id, tiers[floors[loan]], is_retail,
                                  tuple(found) if found else ()))
    return results
