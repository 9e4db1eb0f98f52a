"""Exposure at default: what a loan would owe if it defaulted now, and over its remaining
life.

EAD now, in minor units of the loan's currency, as of the book's date:

    EAD = outstanding principal + overdue interest + accrued interest + undrawn * CCF

* accrued interest: contractual interest earned since the last installment fell due (or
  since disbursement), not yet due: ``outstanding * rate * days / 365`` (Actual/365 Fixed),
  the days counted up to the as-of date or maturity, whichever is first, rounded to the
  minor unit half to even;
* undrawn: the part of a committed limit not yet drawn, times the product's credit
  conversion factor (``ccf``, else ``ccf_default``). The loan records hold term loans
  disbursed in full, with no limit: the undrawn amount is zero unless a caller gives one
  (a revolving product would need a ``limit`` column on the loan import; see the README).

The profile over the lifetime periods the ECL sums over: the outstanding part amortises
straight to zero at maturity for annuity and equal-principal loans, and stays flat for
bullet and interest-only loans (the schedule's shape); the EAD at the start of period k is
EAD now times the share of the remaining life not yet amortised at its start.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

import numpy as np

from risk.classification.book import LoanBook
from risk.classification.delinquency import Delinquency

__all__ = ["ACCRUAL_DAYS_PER_YEAR", "FLAT_METHODS", "Exposure", "ead_profile",
           "exposure_at_default"]

#: Day count of accrued interest (Actual/365 Fixed).
ACCRUAL_DAYS_PER_YEAR: Final = 365
#: Repayment methods whose principal stays outstanding until maturity.
FLAT_METHODS: Final = frozenset({"bullet", "interest_only"})


@dataclass(frozen=True, slots=True)
class Exposure:
    """Per loan of a book, minor units (int64): the parts of its EAD and the EAD."""

    outstanding: np.ndarray
    overdue_interest: np.ndarray
    accrued_interest: np.ndarray
    undrawn: np.ndarray
    ccf: np.ndarray
    ead: np.ndarray

    @property
    def balance(self) -> np.ndarray:
        """Outstanding principal plus overdue interest: what is owed and due now."""
        return self.outstanding + self.overdue_interest


def _last_due(book: LoanBook) -> np.ndarray:
    """The latest due date on or before the as-of date per loan, else its disbursement."""
    last = book.disbursed.copy()
    if len(book.inst_loan):
        np.maximum.at(last, book.inst_loan, book.inst_due)
    return last


def exposure_at_default(book: LoanBook, dq: Delinquency, *,
                        ccf: Mapping[str, float] | None = None, ccf_default: float = 1.0,
                        undrawn: np.ndarray | None = None) -> Exposure:
    """The EAD of every loan of ``book`` as of its date (see the module). O(loans +
    installments)."""
    n = len(book)
    factors = ccf or {}
    conversion = np.array([factors.get(p, ccf_default) for p in book.product.tolist()],
                          dtype=np.float64)
    undrawn_minor = np.zeros(n, dtype=np.int64) if undrawn is None else \
        np.asarray(undrawn, dtype=np.int64)
    days = np.maximum(np.minimum(book.as_of_day, book.maturity) - _last_due(book), 0)
    accrued = np.rint(dq.outstanding * book.annual_rate * days
                      / ACCRUAL_DAYS_PER_YEAR).astype(np.int64)
    converted = np.rint(undrawn_minor * conversion).astype(np.int64)
    ead = dq.outstanding + dq.overdue_interest + accrued + converted
    return Exposure(outstanding=dq.outstanding, overdue_interest=dq.overdue_interest,
                    accrued_interest=accrued, undrawn=undrawn_minor, ccf=conversion, ead=ead)


def ead_profile(ead: np.ndarray, flat: np.ndarray, t_start: np.ndarray,
                remaining: np.ndarray) -> np.ndarray:
    """EAD at the start of each period (loans × periods): ``ead`` times the share not yet
    amortised at ``t_start`` (years from now) of ``remaining`` years; flat where ``flat``."""
    share_left = np.where(flat[:, None], 1.0,
                          np.clip(1.0 - t_start / remaining[:, None], 0.0, 1.0))
    return ead.astype(np.float64)[:, None] * share_left
