"""The repayment history as the early-warning rules read it: days past due, missed
installments and defaulted parties as of a date.

One definition of "past due" serves the classifier and the rules: this adapter answers the
questions of :class:`risk.rules.delinquency.DelinquencySource` from the same as-of book
(:func:`risk.classification.book.load_book`) and the same delinquency pass
(:func:`risk.classification.delinquency.delinquency`) that ``loanwatch classify`` uses.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import date
from typing import Final

import numpy as np
from sqlalchemy import Engine

from risk.classification.book import LoanBook, day_number, load_book
from risk.classification.config import DEFAULT_SUBSTANDARD_DAYS
from risk.classification.delinquency import NEVER, Delinquency, delinquency

__all__ = ["DEFAULT_DEFAULT_DAYS", "RepaymentHistory"]

#: A party is in default when one of its loans is more than this many days past due: the
#: 90-day backstop that the five tiers (Substandard) and IFRS 9 (stage 3) share. The credit
#: models issue makes the default definition configurable as a whole.
DEFAULT_DEFAULT_DAYS: Final = DEFAULT_SUBSTANDARD_DAYS


class RepaymentHistory:
    """Delinquency of the portfolio in ``engine`` as of any date, from data dated on or
    before it. Each as-of date is read and computed once per instance."""

    def __init__(self, engine: Engine, *, default_days: int = DEFAULT_DEFAULT_DAYS) -> None:
        self._engine = engine
        self._default_days = default_days
        self._passes: dict[date, tuple[LoanBook, Delinquency]] = {}

    @classmethod
    def seeded(cls, engine: Engine, as_of: date, book: LoanBook, dq: Delinquency,
               **options: int) -> RepaymentHistory:
        """A history that already holds the pass as of ``as_of`` (a book and its delinquency
        computed by the caller, e.g. the scan's classification phase), so it is not read
        again; other dates are read from ``engine`` as usual."""
        history = cls(engine, **options)
        history._passes[as_of] = (book, dq)
        return history

    def _pass(self, as_of: date) -> tuple[LoanBook, Delinquency]:
        found = self._passes.get(as_of)
        if found is None:
            book = load_book(self._engine, as_of)
            found = self._passes[as_of] = (book, delinquency(book))
        return found

    def days_past_due(self, as_of: date) -> Mapping[str, int]:
        book, dq = self._pass(as_of)
        late = np.flatnonzero(dq.days_past_due > 0)
        return {str(book.loan_ids[i]): int(dq.days_past_due[i]) for i in late}

    def missed_installments(self, as_of: date, since: date) -> Mapping[str, int]:
        book, dq = self._pass(as_of)
        due = (dq.effective_due >= day_number(since)) & (dq.effective_due <= day_number(as_of))
        missed = due & ((dq.paid_day == NEVER) | (dq.paid_day > dq.effective_due))
        counts = np.bincount(book.inst_loan[missed], minlength=len(book))
        return {str(book.loan_ids[i]): int(counts[i]) for i in np.flatnonzero(counts)}

    def defaulted_parties(self, as_of: date) -> Collection[str]:
        """Borrowers with a loan more than ``default_days`` past due, sorted (so that every
        run that walks them meets them in the same order)."""
        book, dq = self._pass(as_of)
        return sorted({str(b) for b in book.borrower_ids[dq.days_past_due > self._default_days]})
