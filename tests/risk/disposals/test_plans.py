"""Restructuring plans over many seeded random loans: the new schedule repays exactly the
principal the replaced installments carried, continues the numbering and the payment day,
and honours the holiday or the reduced payments asked for."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

import pytest

from portfolio.disposals import DisposalKind
from risk.disposals.amortization import add_months, amortize, monthly, period_rate
from risk.disposals.errors import InvalidTerms
from risk.disposals.ledger import LoanAccount, ScheduleRow
from risk.disposals.plans import make_plan, period_months
from risk.disposals.terms import Terms


def _account(rng: random.Random) -> LoanAccount:
    every = rng.choice([1, 1, 3])
    count = rng.randint(2, 36)
    principal = rng.randint(10_000, 10**10)
    rate = Decimal(rng.randint(100, 3000)) / 10_000
    disbursed = date(2025, rng.randint(1, 12), rng.randint(1, 28))
    dues = monthly(add_months(disbursed, every), count, every)
    rows = amortize(principal, period_rate(rate, every), dues)
    schedule = tuple(ScheduleRow(k + 1, r.due_on, r.principal_minor, r.interest_minor)
                     for k, r in enumerate(rows))
    return LoanAccount(
        loan_id="L", borrower_id="P", status="active", currency="CNY",
        principal_minor=principal, annual_rate=rate, disbursed_on=disbursed,
        maturity_on=dues[-1], term_months=count * every, as_of=disbursed, schedule=schedule,
        paid_minor=0, outstanding_principal_minor=principal, overdue_principal_minor=0,
        overdue_interest_minor=0, interest_due_minor=0)


@pytest.mark.parametrize("seed", range(200))
def test_random_restructurings_are_exact(seed: int) -> None:
    rng = random.Random(seed)
    account = _account(rng)
    schedule = account.schedule
    cut = rng.randint(0, len(schedule) - 1)
    day = schedule[cut].due_on - timedelta(days=rng.randint(0, 20))
    if cut and day <= schedule[cut - 1].due_on:
        day = schedule[cut - 1].due_on + timedelta(days=1)
    left = [r for r in schedule if r.due_on >= day]
    kind = rng.choice([DisposalKind.TERM_EXTENSION, DisposalKind.PAYMENT_HOLIDAY,
                       DisposalKind.REDUCED_INSTALLMENTS])
    if kind is DisposalKind.TERM_EXTENSION:
        terms = Terms(kind, day, extend_by=rng.randint(1, 24))
    elif kind is DisposalKind.PAYMENT_HOLIDAY:
        terms = Terms(kind, day, holiday=rng.randint(1, 6))
    else:
        terms = Terms(kind, day, reduced=rng.randint(1, 6), extend_by=rng.randint(0, 12),
                      payment=Decimal(rng.randint(0, 10_000)) / 100)
    try:
        plan = make_plan(None, None, replace(account, as_of=day), terms)  # type: ignore[arg-type]
    except InvalidTerms as exc:  # a reduced payment not below the regular one, too many
        assert kind is DisposalKind.REDUCED_INSTALLMENTS and exc.field in ("payment",
                                                                           "reduced")
        return
    new = plan.details["schedule"]
    base = sum(r.principal_minor for r in left)
    assert plan.details["base_minor"] == base
    assert sum(r["principal_minor"] for r in new) == base
    assert [r["seq"] for r in new] == list(range(left[0].seq, left[0].seq + len(new)))
    dues = [date.fromisoformat(r["due_on"]) for r in new]
    assert dues == sorted(set(dues)) and dues[0] >= day
    every = period_months(schedule)
    expected = monthly(left[0].due_on, plan.details["periods"], every)
    assert set(dues) <= set(expected)
    assert plan.details["maturity_on"] == dues[-1].isoformat() == expected[-1].isoformat()
    assert all(r["principal_minor"] >= 0 and r["interest_minor"] >= 0 for r in new)
    if kind is DisposalKind.PAYMENT_HOLIDAY:
        assert dues[0] == expected[terms.holiday or 0]
        assert len(new) == len(left)
    if kind is DisposalKind.REDUCED_INSTALLMENTS and terms.payment:
        paid = int(terms.payment * 100)
        assert [r["principal_minor"] + r["interest_minor"]
                for r in new[:terms.reduced or 0]] == [paid] * (terms.reduced or 0)
