"""The borrower itself: person or company, age, income, sector, size, capital, revenue and
debt to income. Read from the borrower's node (:meth:`GraphStore.get_nodes`, one round trip per
10,000 borrowers).

Party attributes carry no dates: they are taken as stored (the lender's latest record),
which the README names as the one input not read as of D.

* ``is_company`` (1/0); ``age_years`` (persons, from ``birth_date``);
  ``company_age_years`` (from ``founded_on``); ``monthly_income`` (persons);
  ``registered_capital``, ``annual_revenue`` (companies; major units);
  ``sector``, ``company_size`` (categories, companies);
* ``debt_to_income``: the bureau's total debt (else what the borrower owes us) against a
  year's income (12 monthly incomes, or the annual revenue).
"""

from __future__ import annotations

from typing import Any, Final

import numpy as np

from graph.model import Label
from risk.models.portfolio_features.inputs import AsOfInputs, FeatureBlock, major

__all__ = ["COLUMNS", "PERSONAL_COLUMNS", "party_features_of"]

COLUMNS: Final = ("is_company", "age_years", "company_age_years", "monthly_income",
                  "registered_capital", "annual_revenue", "sector", "company_size",
                  "debt_to_income")
#: Columns computed from a person's personal data (``graph/personal_data.py``: birth date,
#: income): the words of a reason code built from them are masked unless the caller may see
#: personal data.
PERSONAL_COLUMNS: Final = frozenset({"age_years", "monthly_income", "debt_to_income"})
_PROPS: Final = ("birth_date", "monthly_income_minor", "founded_on", "registered_capital_minor",
                 "annual_revenue_minor", "sector", "size")
_DAYS_PER_YEAR: Final = 365.25
#: Borrower nodes read per round trip.
_NODES_PER_READ: Final = 10_000


def _days(values: np.ndarray) -> np.ndarray:
    text = [v[:10] if isinstance(v, str) and len(v) >= 10 else "NaT" for v in values.tolist()]
    try:
        days = np.array(text, dtype="datetime64[D]")
    except ValueError:
        days = np.array(["NaT"] * len(text), dtype="datetime64[D]")
    return np.where(np.isnat(days), np.nan, days.astype(np.int64).astype(np.float64))


def _amount(values: np.ndarray) -> np.ndarray:
    return np.array([float(v) if isinstance(v, int | float) and not isinstance(v, bool)
                     else np.nan for v in values.tolist()], dtype=np.float64)


def party_features_of(inputs: AsOfInputs, *, debt: np.ndarray,
                      outstanding: np.ndarray) -> FeatureBlock:
    """The columns of :data:`COLUMNS`; ``debt`` is the bureau's total debt per row (NaN
    unknown) and ``outstanding`` what the borrower owes us (both major units)."""
    n = inputs.n
    props: dict[str, Any] = {name: np.full(n, None, dtype=object) for name in _PROPS}
    is_company = np.zeros(n)
    ids = inputs.rows.tolist()
    for start in range(0, n, _NODES_PER_READ):
        nodes = inputs.graph.get_nodes(ids[start:start + _NODES_PER_READ])
        for offset, node in enumerate(nodes):
            if node is None:
                continue
            at = start + offset
            is_company[at] = node.label is Label.COMPANY
            for name in _PROPS:
                props[name][at] = node.props.get(name)
    day = float(inputs.day)
    age = (day - _days(props["birth_date"])) / _DAYS_PER_YEAR
    company_age = (day - _days(props["founded_on"])) / _DAYS_PER_YEAR
    income = major(_amount(props["monthly_income_minor"]))
    capital = major(_amount(props["registered_capital_minor"]))
    revenue = major(_amount(props["annual_revenue_minor"]))
    yearly = np.where(is_company > 0, revenue, 12 * income)
    owed = np.where(np.isnan(debt), outstanding, debt)
    with np.errstate(invalid="ignore", divide="ignore"):
        dti = np.where(yearly > 0, owed / yearly, np.nan)
    company = is_company > 0
    sector = np.where(company, props["sector"], None)
    size = np.where(company, props["size"], None)
    return FeatureBlock(columns={
        "is_company": is_company, "age_years": np.where(company, np.nan, age),
        "company_age_years": np.where(company, company_age, np.nan),
        "monthly_income": np.where(company, np.nan, income),
        "registered_capital": np.where(company, capital, np.nan),
        "annual_revenue": np.where(company, revenue, np.nan),
        "sector": sector, "company_size": size, "debt_to_income": dti,
    }, categories=frozenset({"sector", "company_size"}))
