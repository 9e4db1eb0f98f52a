"""Amortisation arithmetic: exact principal, equal annuities, the four methods."""

from __future__ import annotations

import numpy as np

from seeds.schedules import ANNUITY, BULLET, EQUAL_PRINCIPAL, INTEREST_ONLY, amortize


def _random_loans(method: int, n: int = 2_000) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(3)
    principal = rng.integers(100_000, 10**10, n)
    rate = rng.integers(100, 2_400, n)
    period = np.full(n, 1 if method == ANNUITY else 3)
    count = rng.integers(1, 37, n)
    term = count * period
    if method == BULLET:
        count, period = np.ones(n, dtype=np.int64), term
    return principal, rate, term, count, period, np.full(n, method)


def test_principal_sums_to_the_loan_to_the_cent_for_every_method() -> None:
    for method in (ANNUITY, EQUAL_PRINCIPAL, INTEREST_ONLY, BULLET):
        principal, rate, term, count, period, methods = _random_loans(method)
        schedule = amortize(principal, rate, term, count, period, methods)
        assert (schedule.principal.sum(axis=1) == principal).all()
        assert (schedule.principal >= 0).all() and (schedule.interest >= 0).all()
        assert not (schedule.total[~schedule.valid()]).any()


def test_annuity_installments_are_all_equal() -> None:
    principal, rate, term, count, period, methods = _random_loans(ANNUITY)
    schedule = amortize(principal, rate, term, count, period, methods)
    totals = schedule.total
    first = totals[:, :1]
    assert ((totals == first) | ~schedule.valid()).all()


def test_annuity_matches_the_textbook_payment() -> None:
    # 100,000 yuan over 12 months at 4.35 % a year: 8,530.99 a month.
    schedule = amortize(np.array([10_000_000]), np.array([435]), np.array([12]),
                        np.array([12]), np.array([1]), np.array([ANNUITY]))
    assert schedule.total[0, 0] == 853_099
    assert schedule.interest[0, 0] == 36_250  # 10,000,000 cents × 0.0435 / 12
    assert (np.diff(schedule.interest[0]) < 0).all()  # interest falls as the balance does


def test_equal_principal_interest_only_and_bullet_shapes() -> None:
    principal = np.array([1_000_001, 5_000_000, 3_000_000])
    schedule = amortize(principal, np.array([600, 480, 1_200]), np.array([12, 12, 6]),
                        np.array([4, 4, 1]), np.array([3, 3, 6]),
                        np.array([EQUAL_PRINCIPAL, INTEREST_ONLY, BULLET]))
    assert schedule.principal[0].tolist() == [250_000, 250_000, 250_000, 250_001]
    assert schedule.interest[0].tolist() == [15_000, 11_250, 7_500, 3_750]
    assert schedule.principal[1].tolist() == [0, 0, 0, 5_000_000]
    assert schedule.interest[1].tolist() == [60_000] * 4
    assert schedule.principal[2, 0] == 3_000_000 and schedule.interest[2, 0] == 180_000
    assert schedule.count.tolist() == [4, 4, 1]
