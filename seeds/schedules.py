"""Amortisation schedules in integer cents, vectorised over many loans at once.

Four repayment methods, each with installments every ``period_months`` months:

* ``annuity`` (等额本息): every installment is the same amount ``A``; interest is the
  rounded balance times the period rate and the principal the rest. The last installment
  takes the remaining balance as principal and ``A`` minus it as interest, so installments
  stay exactly equal while principals sum to the loan to the cent.
* ``equal_principal`` (等额本金): principal ``P // n`` per installment, the remainder
  in the last; interest on the balance outstanding before the installment.
* ``interest_only`` (先息后本): interest on the full principal every period, the whole
  principal with the last installment.
* ``bullet`` (到期一次还本付息): one installment at maturity, principal plus simple
  interest for the whole term.

Rounding is half up to the cent. Rates are annual, in ten-thousandths (``435`` = 4.35 %).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["METHODS", "Schedule", "amortize", "annuity_payment"]

METHODS = ("annuity", "equal_principal", "interest_only", "bullet")
ANNUITY, EQUAL_PRINCIPAL, INTEREST_ONLY, BULLET = range(4)


@dataclass(slots=True)
class Schedule:
    """Padded schedule matrices of shape ``(loans, max installments)``.

    Row ``i`` holds ``count[i]`` installments; cells beyond are zero.
    """

    principal: np.ndarray  # int64 cents
    interest: np.ndarray  # int64 cents
    count: np.ndarray  # installments per loan

    @property
    def total(self) -> np.ndarray:
        """Installment amounts, principal plus interest."""
        return self.principal + self.interest

    def valid(self) -> np.ndarray:
        """Boolean mask of the cells that are real installments."""
        return np.arange(self.principal.shape[1])[None, :] < self.count[:, None]


def _round_half_up(values: np.ndarray) -> np.ndarray:
    return np.floor(values + 0.5).astype(np.int64)


def annuity_payment(principal: np.ndarray, period_rate: np.ndarray,
                    count: np.ndarray) -> np.ndarray:
    """The equal installment of an annuity, in cents (rounded half up).

    ``P·r / (1 − (1 + r)^−n)``, or ``P / n`` where the rate is zero. O(n).
    """
    p = principal.astype(np.float64)
    n = count.astype(np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        factor = np.where(period_rate > 0,
                          period_rate / (1.0 - (1.0 + period_rate) ** -n), 1.0 / n)
    return _round_half_up(p * factor)


def amortize(principal: np.ndarray, rate_tt: np.ndarray, term_months: np.ndarray,
             count: np.ndarray, period_months: np.ndarray, method: np.ndarray) -> Schedule:
    """Schedules of many loans.

    Parameters:
        principal: loan principals in cents (positive).
        rate_tt: annual rates in ten-thousandths.
        term_months: loan terms in months (used by bullets).
        count: installments per loan (``term_months / period_months``; 1 for bullets).
        period_months: months between installments.
        method: method codes, indices into :data:`METHODS`.

    Returns:
        the padded :class:`Schedule`; principals of each row sum exactly to ``principal``.

    Complexity: O(loans × max installments) time and memory.
    """
    loans = len(principal)
    width = int(count.max(initial=1))
    out_p = np.zeros((loans, width), dtype=np.int64)
    out_i = np.zeros((loans, width), dtype=np.int64)
    rate = rate_tt.astype(np.float64) / 10_000 * period_months / 12
    payment = annuity_payment(principal, rate, count)
    even = principal // np.maximum(count, 1)
    balance = principal.astype(np.int64).copy()
    for k in range(width):
        live = k < count
        last = k == count - 1
        interest = _round_half_up(balance * rate)
        princ = np.select(
            [method == ANNUITY, method == EQUAL_PRINCIPAL],
            [payment - interest, even], default=0)
        princ = np.where(last, balance, princ)
        annuity_last = last & (method == ANNUITY)
        interest = np.where(annuity_last, np.maximum(payment - balance, 0), interest)
        interest = np.where(method == INTEREST_ONLY, _round_half_up(principal * rate), interest)
        bullet_interest = _round_half_up(
            principal * (rate_tt / 10_000) * (term_months / 12))
        interest = np.where(method == BULLET, bullet_interest, interest)
        princ = np.minimum(np.maximum(princ, 0), balance)
        out_p[:, k] = np.where(live, princ, 0)
        out_i[:, k] = np.where(live, interest, 0)
        balance = balance - np.where(live, princ, 0)
    return Schedule(principal=out_p, interest=out_i, count=count.astype(np.int64))
