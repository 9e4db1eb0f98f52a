"""Loan features per borrower as of D, over its live loans (disbursed by D, something still
owed on D): how many, how much is owed, how long on book and to go, the rate, the product,
how much is secured and how well.

Collateral is read from ``SECURED_BY`` edges of the as-of graph (valued on or before D);
its value is the stored valuation (``value_minor``). Amounts are float major units, all
currencies together (the book of one lender is in one currency; see the README).
"""

from __future__ import annotations

from typing import Final

import numpy as np

from graph.model import RelType
from risk.models.portfolio_features.inputs import DAYS_PER_MONTH, AsOfInputs, FeatureBlock, major
from risk.rules.inputs import integers, text_array

__all__ = ["COLUMNS", "loan_features"]

COLUMNS: Final = ("loans_live", "outstanding", "overdue_amount", "months_on_book",
                  "remaining_term_months", "rate", "product", "secured_share",
                  "collateral_coverage", "origination_pd")


def _collateral(inputs: AsOfInputs) -> np.ndarray:
    """Collateral value (minor units) per loan of the book."""
    edges = inputs.rule_inputs.edges(RelType.SECURED_BY, target_props=("value_minor",))
    value = np.zeros(len(inputs.book), dtype=np.int64)
    if not len(edges) or not len(inputs.book):
        return value
    minor, known = integers(edges.props["value_minor"])
    ids = text_array(inputs.book.loan_ids)
    at = np.minimum(np.searchsorted(ids, edges.source), len(ids) - 1)
    hit = (ids[at] == edges.source) & known
    np.add.at(value, at[hit], minor[hit])
    return value


def loan_features(inputs: AsOfInputs) -> FeatureBlock:
    """The columns of :data:`COLUMNS` (see the module)."""
    book, dq, n = inputs.book, inputs.dq, inputs.n
    live = (inputs.loan_row >= 0) & ((dq.outstanding > 0) | (dq.overdue > 0))
    row = inputs.loan_row[live]
    owed = dq.outstanding[live].astype(np.float64)
    count = np.bincount(row, minlength=n).astype(np.float64)
    outstanding = np.bincount(row, owed, minlength=n)
    overdue = np.bincount(row, dq.overdue[live].astype(np.float64), minlength=n)
    age = np.full(n, np.nan)
    np.fmax.at(age, row, (inputs.day - book.disbursed[live]) / DAYS_PER_MONTH)
    remaining = np.full(n, np.nan)
    np.fmax.at(remaining, row, np.maximum(book.maturity[live] - inputs.day, 0) / DAYS_PER_MONTH)
    weighted = np.bincount(row, owed * book.annual_rate[live], minlength=n)
    rate = np.where(outstanding > 0, weighted / np.where(outstanding > 0, outstanding, 1),
                    np.nan)
    # The product of the largest live loan (ties: the first loan id).
    product = np.full(n, None, dtype=object)
    order = np.lexsort((-owed, row))
    first = np.ones(len(order), dtype=bool)
    first[1:] = row[order][1:] != row[order][:-1]
    product[row[order][first]] = book.product[live][order][first]
    collateral = _collateral(inputs)[live].astype(np.float64)
    secured = np.bincount(row, np.where(collateral > 0, owed, 0.0), minlength=n)
    cover = np.bincount(row, collateral, minlength=n)
    with np.errstate(invalid="ignore", divide="ignore"):
        secured_share = np.where(outstanding > 0, secured / outstanding, np.nan)
        coverage = np.where(outstanding > 0, cover / outstanding, np.nan)
    origination = np.full(n, np.nan)
    np.fmax.at(origination, row, book.origination_pd[live])
    return FeatureBlock(columns={
        "loans_live": count, "outstanding": major(outstanding),
        "overdue_amount": major(overdue), "months_on_book": age,
        "remaining_term_months": remaining, "rate": rate, "product": product,
        "secured_share": secured_share, "collateral_coverage": coverage,
        "origination_pd": origination,
    }, categories=frozenset({"product"}))
