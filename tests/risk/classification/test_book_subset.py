"""The book of a few loans (a review batch's) is the whole book's rows for those loans and
their borrowers' other loans: the same bureau figures, read for their parties only; and a
date before every disbursement is refused as before."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pytest
from sqlalchemy import Engine, func, select

from portfolio.loans import Loan
from risk.classification.book import load_book
from risk.classification.errors import AsOfBeforeData
from tests.jobs.reviews_portfolio import (
    AS_OF,
    portfolio_files,
    sqlite_copy,
    sqlite_template,
)

__all__ = ["portfolio_files", "sqlite_copy", "sqlite_template"]


def test_a_batch_book_is_the_whole_books_rows_for_its_loans(sqlite_copy: Engine) -> None:
    whole = load_book(sqlite_copy, AS_OF)
    known = whole.bureau.as_of >= 0
    assert known.sum() > 50 and (~known).sum() > 0  # borrowers with and without snapshots
    picked = [str(loan) for loan in whole.loan_ids[::7]]
    part = load_book(sqlite_copy, AS_OF, loans=picked)
    assert set(picked) <= set(part.loan_ids.tolist()) and len(part) < len(whole)
    at = np.searchsorted(whole.loan_ids, part.loan_ids)
    assert (whole.loan_ids[at] == part.loan_ids).all()
    for name in ("as_of", "total_debt", "overdue_90", "currency"):
        assert (getattr(whole.bureau, name)[at] == getattr(part.bureau, name)).all(), name
    for name in ("borrower_ids", "principal", "disbursed", "maturity"):
        assert (getattr(whole, name)[at] == getattr(part, name)).all(), name
    assert (part.bureau.as_of >= 0).any()


def test_a_date_before_every_loan_is_refused_naming_the_first(sqlite_copy: Engine) -> None:
    with sqlite_copy.connect() as connection:
        first = connection.execute(select(func.min(Loan.disbursed_on))).scalar_one()
    load_book(sqlite_copy, first, loans=[])  # the first day itself is a book
    with pytest.raises(AsOfBeforeData, match=first.isoformat()):
        load_book(sqlite_copy, first - timedelta(days=1))
    assert first < date(2025, 6, 30)
