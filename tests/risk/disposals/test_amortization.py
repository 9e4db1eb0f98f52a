"""Amortization exact to the cent: hand-checked schedules, and seeded property cases (many
random balances, rates, terms, holidays and reduced payments) checked against an
independent recomputation of every row."""

from __future__ import annotations

import random
from datetime import date
from decimal import Decimal

import pytest

from risk.disposals.amortization import (
    MAX_PERIODS,
    add_months,
    amortize,
    annuity_payment,
    monthly,
    period_rate,
)

SEEDS = range(400)


def test_a_three_month_annuity_by_hand() -> None:
    rows = amortize(100_000, Decimal("0.12") / 12, monthly(date(2026, 1, 15), 3))
    assert [(r.due_on, r.principal_minor, r.interest_minor) for r in rows] == [
        (date(2026, 1, 15), 33_002, 1_000), (date(2026, 2, 15), 33_332, 670),
        (date(2026, 3, 15), 33_666, 337)]
    assert [r.total_minor for r in rows] == [34_002, 34_002, 34_003]  # the last absorbs


def test_due_days_keep_the_month_end() -> None:
    assert add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert add_months(date(2028, 1, 31), 1) == date(2028, 2, 29)
    assert add_months(date(2026, 11, 30), 3) == date(2027, 2, 28)
    assert monthly(date(2026, 1, 31), 3) == [date(2026, 1, 31), date(2026, 2, 28),
                                             date(2026, 3, 31)]
    assert monthly(date(2026, 1, 15), 3, every=3) == [date(2026, 1, 15), date(2026, 4, 15),
                                                      date(2026, 7, 15)]


def test_zero_rate_splits_the_balance() -> None:
    rows = amortize(1_000, Decimal(0), monthly(date(2026, 1, 1), 3))
    assert [(r.principal_minor, r.interest_minor) for r in rows] == [(333, 0), (333, 0),
                                                                     (334, 0)]


def test_a_holiday_capitalises_its_interest() -> None:
    rate = Decimal("0.01")
    rows = amortize(100_000, rate, monthly(date(2026, 1, 15), 4), agreed_payments=[0])
    assert [r.due_on for r in rows] == monthly(date(2026, 2, 15), 3)  # none in the holiday
    assert sum(r.principal_minor for r in rows) == 100_000
    # 1,000 of interest capitalised; the annuity repays 101,000 over three periods.
    level = annuity_payment(101_000, rate, 3)
    assert rows[0].total_minor == level == 34_342
    assert rows[0].interest_minor == 1_010 + 1_000  # its own interest, then the capitalised
    assert sum(r.interest_minor for r in rows) == sum(r.total_minor for r in rows) - 100_000


def test_a_reduced_payment_below_the_interest_capitalises_the_rest() -> None:
    rows = amortize(100_000, Decimal("0.01"), monthly(date(2026, 1, 15), 3),
                    agreed_payments=[400])
    assert (rows[0].principal_minor, rows[0].interest_minor) == (0, 400)
    assert sum(r.principal_minor for r in rows) == 100_000


@pytest.mark.parametrize(("balance", "dates", "agreed", "problem"), [
    (1_000, [], (), "no period"),
    (1_000, monthly(date(2026, 1, 1), 2), (0, 0), "no period"),
    (-1, monthly(date(2026, 1, 1), 2), (), "negative"),
    (1_000, [date(2026, 2, 1), date(2026, 1, 1)], (), "strictly increasing"),
    (1_000, monthly(date(2026, 1, 1), 2), (2_000,), "repay the loan early"),
    (1_000, monthly(date(2020, 1, 1), MAX_PERIODS + 1), (), "at most"),
])
def test_bad_input_is_refused(balance: int, dates: list[date], agreed: tuple[int, ...],
                              problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        amortize(balance, Decimal("0.01"), dates, agreed_payments=agreed)


def _recompute(balance: int, rate: Decimal, dates: list[date], agreed: list[int],
               rows: list) -> None:
    """Walk the rows with an independent ledger: each row's interest is the rounded
    interest on what was owed, the annuity rows are level, the last repays the rest."""
    owed = Decimal(balance)  # principal and capitalised interest
    principal_left = balance
    by_day = {r.due_on: r for r in rows}
    level = None
    for k, day in enumerate(dates):
        interest = int((owed * rate).quantize(Decimal(1), rounding="ROUND_HALF_UP"))
        row = by_day.get(day)
        paid = 0 if row is None else row.total_minor
        if k < len(agreed):
            assert paid == agreed[k]
        else:
            if level is None:
                level = annuity_payment(int(owed), rate, len(dates) - k)
            if k < len(dates) - 1:
                assert paid == min(level, int(owed) + interest)
            else:
                assert paid == int(owed) + interest  # the last repays everything left
        owed = owed + interest - paid
        if row is not None:
            assert row.principal_minor >= 0 and row.interest_minor >= 0
            principal_left -= row.principal_minor
            assert principal_left >= 0
    assert owed == 0 and principal_left == 0


@pytest.mark.parametrize("seed", SEEDS)
def test_random_schedules_are_exact(seed: int) -> None:
    rng = random.Random(seed)
    balance = rng.choice([rng.randint(0, 100), rng.randint(1, 10**7), rng.randint(1, 10**13)])
    annual = Decimal(rng.choice([0, rng.randint(1, 3600)])) / 10_000
    every = rng.choice([1, 1, 1, 3, 6])
    rate = period_rate(annual, every)
    periods = rng.randint(1, 120 if every == 1 else 40)
    dates = monthly(add_months(date(2026, 1, 1), rng.randint(0, 24)).replace(
        day=rng.randint(1, 28)), periods, every)
    agreed: list[int] = []
    if periods > 1 and rng.random() < 0.5:
        held = rng.randint(1, periods - 1)
        reduced = min(annuity_payment(balance, rate, periods), balance // (2 * held))
        agreed = [0] * held if rng.random() < 0.5 else [rng.randint(0, reduced)] * held
    rows = amortize(balance, rate, dates, agreed_payments=agreed)

    assert sum(r.principal_minor for r in rows) == balance
    assert [r.due_on for r in rows] == sorted(r.due_on for r in rows)
    _recompute(balance, rate, dates, agreed, rows)
    annuity_rows = [r for r in rows if r.due_on >= dates[len(agreed)]]
    if len(annuity_rows) > 1 and not agreed:
        first = annuity_rows[0].total_minor
        assert first == annuity_payment(balance, rate, periods)
        assert all(r.total_minor == first for r in annuity_rows[:-1])
        # The exact annuity, in floats, agrees to within a unit.
        r = float(rate)
        exact = balance / periods if r == 0 else balance * r / (1 - (1 + r) ** -periods)
        assert abs(first - exact) <= 0.5 + 1e-6 * balance
