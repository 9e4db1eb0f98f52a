"""Amortization of a balance into installments, exact to the minor unit.

An annuity (等额本息) with the period rate ``r`` (the loan's annual rate times the months
between installments, divided by 12) over ``n`` periods pays the same amount every
period, ``A = B·r / (1 − (1 + r)^−n)`` (``B / n`` when ``r`` is 0), rounded half up to
the minor unit. Each period's interest is the balance times ``r``, rounded half up; the
rest of the payment repays the balance. The last installment repays whatever balance is
left, so it absorbs every rounding: the principals sum to the balance exactly, to the cent.

Before the annuity, a schedule may have periods of agreed payments (a reduced installment,
or 0 for a payment holiday, where no installment falls due). Interest a period's payment
does not cover is capitalised: it is added to the balance that bears interest and that
the later payments repay. Capitalised interest is repaid first and counted as interest, so
the principal column still sums to the balance amortized and the interest column holds
every unit of interest charged.

All arithmetic is :class:`decimal.Decimal` or ``int``; no float touches an amount.

>>> rows = amortize(100_000, Decimal("0.12") / 12, monthly(date(2026, 1, 15), 3))
>>> [(r.due_on.isoformat(), r.principal_minor, r.interest_minor) for r in rows]
[('2026-01-15', 33002, 1000), ('2026-02-15', 33332, 670), ('2026-03-15', 33666, 337)]
"""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, localcontext
from itertools import pairwise
from typing import Final

__all__ = [
    "MAX_PERIODS",
    "ScheduledInstallment",
    "add_months",
    "amortize",
    "annuity_payment",
    "monthly",
    "period_rate",
]

#: The most periods a schedule may have (50 years of monthly installments).
MAX_PERIODS: Final = 600
#: Digits of the intermediate decimal arithmetic: far more than any amount needs.
_PRECISION: Final = 50
_ONE: Final = Decimal(1)


@dataclass(frozen=True, slots=True)
class ScheduledInstallment:
    """One installment of a computed schedule, amounts in minor units."""

    due_on: date
    principal_minor: int
    interest_minor: int

    @property
    def total_minor(self) -> int:
        return self.principal_minor + self.interest_minor


def add_months(day: date, months: int) -> date:
    """``day`` moved ``months`` calendar months on; the 31st becomes the last day of a
    shorter month (2026-01-31 + 1 month is 2026-02-28)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


def monthly(first: date, periods: int, every: int = 1) -> list[date]:
    """``periods`` due dates from ``first``, ``every`` months apart, each counted from
    ``first`` (so a due day of the 31st comes back after a short month)."""
    return [add_months(first, k * every) for k in range(periods)]


def period_rate(annual_rate: Decimal, period_months: int) -> Decimal:
    """The interest rate of one period of ``period_months`` months (nominal annual rate)."""
    with localcontext() as context:
        context.prec = _PRECISION
        return annual_rate * period_months / 12


def _round(value: Decimal) -> int:
    return int(value.to_integral_value(rounding=ROUND_HALF_UP))


def _interest(balance: int, rate: Decimal) -> int:
    with localcontext() as context:
        context.prec = _PRECISION
        return _round(balance * rate)


def annuity_payment(balance_minor: int, rate: Decimal, periods: int) -> int:
    """The equal payment that repays ``balance_minor`` with interest at ``rate`` per period
    over ``periods`` periods, rounded half up to the minor unit.

    Raises:
        ValueError: ``periods`` below 1, a negative balance or rate.
    """
    if periods < 1:
        raise ValueError(f"an annuity needs at least one period, got {periods}")
    if balance_minor < 0 or rate < 0:
        raise ValueError("the balance and the rate must not be negative")
    with localcontext() as context:
        context.prec = _PRECISION
        if rate == 0:
            return _round(Decimal(balance_minor) / periods)
        factor = rate / (_ONE - (_ONE + rate) ** -periods)
        return _round(balance_minor * factor)


def amortize(balance_minor: int, rate: Decimal, due_dates: Sequence[date], *,
             agreed_payments: Sequence[int] = ()) -> list[ScheduledInstallment]:
    """The installments that repay ``balance_minor`` at ``rate`` per period, one period per
    date of ``due_dates``.

    The first ``len(agreed_payments)`` periods pay the amounts agreed (0: a holiday, no
    installment falls due); the rest is an annuity over the remaining periods, whose last
    installment repays the balance left. Interest not covered by an agreed payment is
    capitalised (see the module).

    Returns:
        one installment per date with a payment, in date order; their principals sum to
        ``balance_minor`` exactly.

    Raises:
        ValueError: no period left for the annuity, more than :data:`MAX_PERIODS` periods,
            dates not strictly increasing, a negative balance, rate or agreed payment, or an
            agreed payment above what the period owes (it would repay the loan early).

    Complexity: O(periods).
    """
    periods = len(due_dates)
    agreed = list(agreed_payments)
    if periods > MAX_PERIODS:
        raise ValueError(f"at most {MAX_PERIODS} periods, got {periods}")
    if len(agreed) >= periods:
        raise ValueError(f"{len(agreed)} agreed payment(s) leave no period of the "
                         f"{periods} for the annuity that repays the balance")
    if any(b <= a for a, b in pairwise(due_dates)):
        raise ValueError("the due dates must be strictly increasing")
    if balance_minor < 0 or rate < 0 or any(p < 0 for p in agreed):
        raise ValueError("the balance, the rate and the agreed payments must not be negative")
    principal = balance_minor
    capitalised = 0
    rows: list[ScheduledInstallment] = []

    def book(due_on: date, interest: int, payment: int) -> None:
        nonlocal principal, capitalised
        if payment < interest:
            capitalised += interest - payment
            paid_interest, paid_principal = payment, 0
        else:
            repaid = payment - interest
            from_capitalised = min(repaid, capitalised)
            capitalised -= from_capitalised
            paid_interest = interest + from_capitalised
            paid_principal = repaid - from_capitalised
            if paid_principal > principal:
                raise ValueError(f"the payment of {payment} due on {due_on.isoformat()} is "
                                 "more than the period owes: it would repay the loan early")
            principal -= paid_principal
        if payment:
            rows.append(ScheduledInstallment(due_on, paid_principal, paid_interest))

    for due_on, payment in zip(due_dates, agreed, strict=False):
        book(due_on, _interest(principal + capitalised, rate), payment)
    remaining = due_dates[len(agreed):]
    level = annuity_payment(principal + capitalised, rate, len(remaining))
    for k, due_on in enumerate(remaining):
        interest = _interest(principal + capitalised, rate)
        if k == len(remaining) - 1:
            book(due_on, interest, principal + capitalised + interest)
        else:
            book(due_on, interest, min(level, principal + capitalised + interest))
    assert principal == 0 and capitalised == 0
    return rows
