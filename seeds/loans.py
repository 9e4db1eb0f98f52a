"""The loan book: products, terms, principals, rates and dates; guarantees and collateral.

Every party has one loan; 5 % of persons and 30 % of companies have a second. Persons
borrow consumer loans (monthly annuity, 3–12 months), micro credit (bullet, 1–6 months)
or personal business loans (quarterly interest, principal at maturity, 6–12 months);
members of joint-guarantee groups always take business loans, as do half of the company
owners. Companies borrow working capital (quarterly interest, 12 months), trade finance
(bullet, 3–6 months) or fixed-asset loans (quarterly equal principal, 24–36 months).
Principals scale with income or revenue; rates are risk-priced within each product's band
from a noisy view of the borrower's baseline risk.

Disbursements fall uniformly inside the history, except that a party who defaults only
borrows before its default: its loans are disbursed within one term before the default,
so the default shows on a loan outstanding at the time. Disbursement days are at most the
28th, so every installment keeps the day of month.

Each loan carries the annual PD the lender estimated when granting it (``origination_pd``),
from the same noisy view of the borrower's risk that prices it: 0.60 % for the best,
2.00 % for the worst, inside the Pass band of the staging rules, so that a loan still rated
Pass is not a significant increase in credit risk by itself. One loan in ten has none
(booked before the bank scored loans at origination), and is staged on the rating proxy.

Loans are numbered party by party: party ``i``'s loans are ``first[i] .. first[i] +
count[i] - 1``, ids ``L000000001``…
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from seeds import catalogs as cat
from seeds.config import PortfolioConfig
from seeds.guarantee_network import KINDS, GuaranteeNetwork
from seeds.parties import OWNER_OCCUPATION_CODE, Parties, party_ids
from seeds.randomness import stage_rng, weighted_choice
from seeds.risk import NO_DEFAULT, RiskOutcome
from seeds.schedules import METHODS
from seeds.structures import Structures
from seeds.timeline import Timeline, add_months, day_of_month
from seeds.writer import PortfolioWriter

__all__ = ["LoanBook", "attach_guarantees", "loan_ids", "plan_loans", "write_guarantees"]

_PERSON_PRODUCTS = [i for i, p in enumerate(cat.PRODUCTS) if not p.for_company]
_COMPANY_PRODUCTS = [i for i, p in enumerate(cat.PRODUCTS) if p.for_company]
_BUSINESS = [p.code for p in cat.PRODUCTS].index("personal_business")
#: Origination PDs, in ten-thousandths: the best and the worst priced loans.
_PD_LOW, _PD_HIGH = 60, 200
#: Loans booked without a PD at origination.
_PD_MISSING_SHARE = 0.10


@dataclass(slots=True)
class LoanBook:
    """Loan arrays in loan order; ``first``/``count`` index them by party."""

    borrower: np.ndarray
    product: np.ndarray
    method: np.ndarray
    period: np.ndarray  # months between installments (the term for bullets)
    term: np.ndarray
    installments: np.ndarray
    principal: np.ndarray  # cents
    rate: np.ndarray  # ten-thousandths
    disbursed: np.ndarray  # day numbers
    maturity: np.ndarray
    first: np.ndarray
    count: np.ndarray
    origination_pd: np.ndarray  # ten-thousandths
    origination_pd_missing: np.ndarray

    def __len__(self) -> int:
        return len(self.borrower)


def loan_ids(idx: np.ndarray) -> list[str]:
    """External ids of loan indices. O(n)."""
    return [f"L{i + 1:09d}" for i in np.asarray(idx).tolist()]


def _principal_yuan(rng: np.random.Generator, code: str, income: np.ndarray,
                    revenue: np.ndarray, owner: np.ndarray) -> np.ndarray:
    """Principals in yuan for one product, from income (persons) or revenue. O(n)."""
    n = len(income)
    if code == "consumer_loan":
        return np.clip(income * rng.uniform(2, 10, n), 5_000, 300_000).round(-2)
    if code == "micro_credit":
        return np.clip(income * rng.uniform(0.5, 3, n), 1_000, 50_000).round(-2)
    if code == "personal_business":
        base = rng.lognormal(np.log(300_000), 0.7, n) * np.where(owner, 2.0, 1.0)
        return np.clip(base, 50_000, 5_000_000).round(-4)
    share = {"working_capital": (0.05, 0.25), "trade_finance": (0.02, 0.12),
             "fixed_asset": (0.1, 0.5)}[code]
    return np.clip(revenue * rng.uniform(*share, n), 100_000, 500_000_000).round(-4)


def plan_loans(config: PortfolioConfig, parties: Parties, structures: Structures,
               risk: RiskOutcome) -> LoanBook:
    """Draw the loan book.

    Complexity: O(loans) time and memory, vectorised.
    """
    rng = stage_rng(config.seed, "loans")
    n_p, n = parties.n_persons, parties.n
    timeline = Timeline(config.as_of, config.months)
    count = 1 + np.concatenate([rng.random(n_p) < 0.05, rng.random(n - n_p) < 0.30])
    first = np.concatenate([[0], np.cumsum(count)[:-1]])
    borrower = np.repeat(np.arange(n), count)
    is_person = borrower < n_p
    total = len(borrower)
    person_w = [cat.PRODUCTS[i].weight for i in _PERSON_PRODUCTS]
    company_w = [cat.PRODUCTS[i].weight for i in _COMPANY_PRODUCTS]
    product = np.where(
        is_person, np.array(_PERSON_PRODUCTS)[weighted_choice(rng, person_w, total)],
        np.array(_COMPANY_PRODUCTS)[weighted_choice(rng, company_w, total)])
    joint = np.array([p for g in structures.guarantees.joint_groups for p in g], dtype=np.int64)
    owner = np.zeros(n, dtype=bool)
    owner[:n_p] = parties.occupation == OWNER_OCCUPATION_CODE
    forced = np.zeros(n, dtype=bool)
    forced[joint] = True
    forced |= owner & (rng.random(n) < 0.5)
    product = np.where(forced[borrower] & (np.arange(total) == first[borrower]),
                       _BUSINESS, product)
    term = np.zeros(total, dtype=np.int64)
    principal_yuan = np.zeros(total)
    income = parties.income[np.minimum(borrower, max(n_p - 1, 0))] / 100
    revenue = parties.revenue[np.maximum(borrower - n_p, 0)] / 100
    for code, spec in enumerate(cat.PRODUCTS):
        sel = np.flatnonzero(product == code)
        term[sel] = np.array(spec.terms)[weighted_choice(rng, spec.term_weights, len(sel))]
        principal_yuan[sel] = _principal_yuan(rng, spec.code, income[sel], revenue[sel],
                                              owner[borrower[sel]])
    method = np.array([METHODS.index(p.method) for p in cat.PRODUCTS])[product]
    period = np.array([p.period_months for p in cat.PRODUCTS])[product]
    period = np.where(period == 0, term, period)
    # Risk-based pricing on a noisy view of the baseline risk, within the product band.
    view = risk.baseline[borrower] + rng.normal(0.0, 0.5, total)
    z = (view - view.mean()) / max(float(view.std()), 1e-9)
    position = np.clip(0.5 + 0.3 * z + rng.normal(0.0, 0.15, total), 0.0, 1.0)
    low = np.array([p.rate_low for p in cat.PRODUCTS])[product]
    high = np.array([p.rate_high for p in cat.PRODUCTS])[product]
    rate = np.round((low + (high - low) * position) * 10_000).astype(np.int64)
    disbursed = _disbursement_days(rng, timeline, risk.default_day[borrower], term)
    pd_rng = stage_rng(config.seed, "origination-pd")
    origination_pd = (_PD_LOW + np.round((_PD_HIGH - _PD_LOW) * position)).astype(np.int64)
    return LoanBook(
        borrower=borrower, product=product.astype(np.int8), method=method.astype(np.int8),
        period=period.astype(np.int64), term=term, installments=term // period,
        principal=(principal_yuan * 100).astype(np.int64), rate=rate, disbursed=disbursed,
        maturity=add_months(disbursed, term), first=first, count=count.astype(np.int64),
        origination_pd=origination_pd,
        origination_pd_missing=pd_rng.random(total) < _PD_MISSING_SHARE)


def _disbursement_days(rng: np.random.Generator, timeline: Timeline, default_day: np.ndarray,
                       term: np.ndarray) -> np.ndarray:
    """Uniform in the history; within one term before the default for defaulters. O(n)."""
    start, as_of = timeline.start_day, timeline.as_of_day
    free = start + (rng.random(len(term)) * (as_of - start)).astype(np.int64)
    before_default = default_day - 1 - (rng.random(len(term)) * term * 30).astype(np.int64)
    days = np.where(default_day < NO_DEFAULT, np.maximum(before_default, start), free)
    return days - np.maximum(day_of_month(days) - 28, 0)


def attach_guarantees(config: PortfolioConfig, book: LoanBook,
                      network: GuaranteeNetwork) -> np.ndarray:
    """The loan each party-level guarantee covers: the borrower's first loan, or its
    second (when it has one) three times in ten. O(edges)."""
    rng = stage_rng(config.seed, "guarantee-loans")
    b = network.borrower
    second = (book.count[b] > 1) & (rng.random(len(b)) < 0.3)
    return book.first[b] + second


def write_guarantees(config: PortfolioConfig, book: LoanBook, network: GuaranteeNetwork,
                     n_persons: int, writer: PortfolioWriter) -> np.ndarray:
    """Write the ``guarantees`` rows; returns the loan index of each edge. O(edges)."""
    loans = attach_guarantees(config, book, network)
    rng = stage_rng(config.seed, "guarantee-dates")
    signed = book.disbursed[loans] - rng.integers(0, 4, len(loans))
    writer.write("guarantees", {
        "guarantor_id": party_ids(network.guarantor, n_persons),
        "loan_id": loan_ids(loans),
        "amount": book.principal[loans] * network.share // 10_000,
        "share": network.share,
        "kind": np.array(KINDS)[network.kind],
        "signed_on": signed,
        "currency": [cat.CURRENCY] * len(loans),
    })
    return loans
