"""EAD: outstanding principal, overdue and accrued interest, undrawn amounts by a credit
conversion factor, and the profile over the lifetime periods, against hand figures."""

from __future__ import annotations

from datetime import date

import numpy as np
from sqlalchemy import Engine

from risk.classification.book import load_book
from risk.classification.delinquency import delinquency
from risk.models.ead import ead_profile, exposure_at_default
from tests.portfolio.databases import sqlite_engine
from tests.risk.classification.books import add_loan, pay

__all__ = ["sqlite_engine"]

DUES = [date(2024, 1, 31), date(2024, 2, 29), date(2024, 3, 31)]


def _exposure(engine: Engine, as_of: date, **kwargs: object) -> dict[str, tuple[int, ...]]:
    book = load_book(engine, as_of)
    e = exposure_at_default(book, delinquency(book), **kwargs)  # type: ignore[arg-type]
    return {loan: (int(e.outstanding[i]), int(e.overdue_interest[i]),
                   int(e.accrued_interest[i]), int(e.ead[i]))
            for i, loan in enumerate(book.loan_ids.tolist())}


def test_accrued_interest_since_the_last_due_date(sqlite_engine: Engine) -> None:
    # 3 x (1,000 principal + 100 interest) at 12%, disbursed 2024-01-01.
    add_loan(sqlite_engine, "PAID", "P1", DUES)
    add_loan(sqlite_engine, "LATE", "P2", DUES)
    pay(sqlite_engine, "PAID", [(date(2024, 1, 31), 1_100)])
    got = _exposure(sqlite_engine, date(2024, 2, 15))
    # 15 days since 2024-01-31 on 2,000 outstanding: 2,000 * 0.12 * 15 / 365 = 9.86 -> 10.
    assert got["PAID"] == (2_000, 0, 10, 2_010)
    # Nothing paid: 3,000 outstanding (1,000 of it overdue), 100 overdue interest, and
    # 3,000 * 0.12 * 15 / 365 = 14.79 -> 15 accrued.
    assert got["LATE"] == (3_000, 100, 15, 3_115)
    # On a due date nothing has accrued since; at disbursement nothing at all.
    assert _exposure(sqlite_engine, date(2024, 1, 31))["PAID"] == (2_000, 0, 0, 2_000)
    assert _exposure(sqlite_engine, date(2024, 1, 1))["LATE"] == (3_000, 0, 0, 3_000)


def test_no_contractual_interest_accrues_after_maturity(sqlite_engine: Engine) -> None:
    add_loan(sqlite_engine, "L1", "P1", DUES)
    got = _exposure(sqlite_engine, date(2024, 9, 30))["L1"]
    assert got == (3_000, 300, 0, 3_300)


def test_undrawn_amounts_by_the_product_conversion_factor(sqlite_engine: Engine) -> None:
    add_loan(sqlite_engine, "L1", "P1", DUES)  # product working_capital
    undrawn = np.array([1_000])
    assert _exposure(sqlite_engine, date(2024, 1, 1), undrawn=undrawn,
                     ccf={"working_capital": 0.5})["L1"][3] == 3_000 + 500
    assert _exposure(sqlite_engine, date(2024, 1, 1), undrawn=undrawn,
                     ccf={"other": 0.5}, ccf_default=0.75)["L1"][3] == 3_000 + 750
    # A term loan drawn in full has nothing undrawn: the factor changes nothing.
    assert _exposure(sqlite_engine, date(2024, 1, 1), ccf={"working_capital": 0.5})[
        "L1"][3] == 3_000


def test_the_profile_amortises_to_maturity_or_stays_flat() -> None:
    t_start = np.array([[0.0, 1.0, 2.0], [0.0, 1.0, 2.0]])
    profile = ead_profile(np.array([3_000, 3_000]), np.array([False, True]), t_start,
                          np.array([2.5, 2.5]))
    np.testing.assert_allclose(profile, [[3_000, 1_800, 600], [3_000, 3_000, 3_000]])
