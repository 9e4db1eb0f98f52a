"""Words for reason codes: :class:`FeatureWords` is the ``describe(feature, value, row)`` of
:data:`risk.models.pd_model.Describe` for a portfolio dataset, a phrase a risk officer reads
("3 missed installments in 6 months", "guarantor C00000081 defaulted on 2025-03-02",
"inflow in 2025-05 is 38% of its 6-month average"), or ``None`` for the generic wording.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from datetime import date
from typing import Any, Final

from risk.classification.book import to_date
from risk.rules.signals.inflow import judged_month

__all__ = ["FeatureWords"]

_WINDOWED: Final = re.compile(r"^(?P<stem>[a-z_0-9]+?)_(?P<months>\d+)m$")
_EVENT_NAMES: Final = {"court_case": "court case", "news": "news report",
                       "social": "social-media post", "other": "other event",
                       "severe": "severe event"}
_RELATIONS: Final = {"guarantors_defaulted": "guarantor",
                     "guaranteed_defaulted": "guaranteed borrower",
                     "related_defaulted": "related party",
                     "group_defaulted": "group member"}


def _plural(count: float, word: str, plural: str | None = None) -> str:
    number = round(count)
    return f"{number} {word}" if number == 1 else f"{number} {plural or word + 's'}"


def _pct(value: float) -> str:
    return f"{value * 100:.0f}%"


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


class FeatureWords:
    """``describe`` for the rows of one dataset as of ``as_of``: ``facts[feature][row]``
    holds ``(party id, day number)`` of the relational default facts."""

    def __init__(self, as_of: date, facts: Mapping[str, Mapping[int, tuple[Any, ...]]]
                 ) -> None:
        self.as_of = as_of
        self.facts = facts
        self._month = judged_month(as_of)
        self._fixed: dict[str, Callable[[Any], str]] = {
            "days_past_due": lambda v: f"{v:.0f} days past due",
            "on_time_share_12m": lambda v: f"{_pct(v)} of installments paid on time in "
                                           "12 months",
            "months_since_delinquency": lambda v: "past due now" if v == 0 else
            f"last past due {v:.0f} months ago",
            "inflow_last_month": lambda v: f"inflow in {self._month}: {v:,.0f}",
            "inflow_ratio_6m": lambda v: f"inflow in {self._month} is {_pct(v)} of its "
                                         "6-month average",
            "inflow_trend_6m": lambda v: f"inflow {'falling' if v < 0 else 'rising'} "
                                         f"{abs(v) * 100:.0f}% a month",
            "months_without_inflow_6m": lambda v: f"{_plural(v, 'month')} without inflow "
                                                  "in the last 7",
            "bureau_score": lambda v: f"bureau score {v:.0f}",
            "bureau_score_change_6m": lambda v: f"bureau score {'fell' if v < 0 else 'rose'} "
                                                f"{abs(v):.0f} points in 6 months",
            "bureau_debt": lambda v: f"debt at all lenders {v:,.0f}",
            "bureau_overdue_accounts": lambda v: f"{_plural(v, 'overdue account')} at the "
                                                 "bureau",
            "bureau_inquiries_6m": lambda v: f"{_plural(v, 'credit inquiry', 'credit inquiries')}"
                                             " in 6 months",
            "bureau_overdue_90_share": lambda v: f"{_pct(v)} of debt at all lenders more than "
                                                 "90 days overdue",
            "bureau_months_old": lambda v: f"latest bureau report {v:.0f} months old",
            "event_max_severity_12m": lambda v: f"an event of severity {v:.0f} in 12 months",
            "loans_live": lambda v: f"{_plural(v, 'live loan')}",
            "outstanding": lambda v: f"owes {v:,.0f}",
            "overdue_amount": lambda v: f"{v:,.0f} overdue",
            "months_on_book": lambda v: f"{v:.0f} months on book",
            "remaining_term_months": lambda v: f"{v:.0f} months to maturity",
            "rate": lambda v: f"interest rate {v * 100:.2f}%",
            "product": lambda v: f"product {v}",
            "secured_share": lambda v: f"{_pct(v)} of the debt secured",
            "collateral_coverage": lambda v: f"collateral covers {_pct(v)} of the debt",
            "origination_pd": lambda v: f"PD at origination {v * 100:.1f}%",
            "is_company": lambda v: "a company" if v else "a person",
            "age_years": lambda v: f"aged {v:.0f}",
            "company_age_years": lambda v: f"company founded {v:.0f} years ago",
            "monthly_income": lambda v: f"monthly income {v:,.0f}",
            "registered_capital": lambda v: f"registered capital {v:,.0f}",
            "annual_revenue": lambda v: f"annual revenue {v:,.0f}",
            "sector": lambda v: f"sector {v}",
            "company_size": lambda v: f"a {v} company",
            "debt_to_income": lambda v: f"debt {v:.1f} times a year's income",
            "graph_distance_to_default": lambda v: f"a defaulted party {v:.0f} hops away",
            "graph_defaulted_neighbour_share": lambda v: f"{_pct(v)} of linked parties in "
                                                         "default",
            "graph_delinquent_neighbour_share": lambda v: f"{_pct(v)} of linked parties past "
                                                          "due",
            "graph_guaranteed_by": lambda v: f"{_plural(v, 'guarantor')}",
            "graph_guarantees_given": lambda v: f"guarantees {_plural(v, 'loan')}",
            "graph_exposure_k_hops": lambda v: f"{v:,.0f} lent to parties within 2 hops",
            "graph_exposure": lambda v: f"borrows {v:,.0f} in all",
            "graph_borrows": lambda v: f"borrows {_plural(v, 'loan')}",
            "graph_risk_degree": lambda v: f"linked to {_plural(v, 'party', 'parties')} by "
                                           "guarantees, ownership, kinship or shared contacts",
            "graph_related": lambda v: f"{_plural(v, 'related party', 'related parties')}",
            "graph_owns_out": lambda v: f"holds stakes in {_plural(v, 'company', 'companies')}",
            "graph_owns_in": lambda v: f"{_plural(v, 'owner')}",
            "graph_directs_out": lambda v: f"directs {_plural(v, 'company', 'companies')}",
            "graph_directs_in": lambda v: f"{_plural(v, 'director')}",
            "graph_uses": lambda v: _plural(v, "phone, address or device",
                                            "phones, addresses or devices"),
            "graph_holds": lambda v: f"{_plural(v, 'account')}",
            "graph_pagerank": lambda v: f"central in the risk graph (PageRank {v:.2g})",
            "graph_betweenness": lambda v: f"a bridge between parts of the risk graph "
                                           f"(betweenness {v:.2g})",
        }

    def __call__(self, feature: str, value: Any, row: int) -> str | None:
        if _missing(value):
            return None
        relation = _RELATIONS.get(feature)
        if relation is not None:
            return self._relation(feature, relation, value, row)
        fixed = self._fixed.get(feature)
        if fixed is not None:
            return fixed(value)
        found = _WINDOWED.match(feature)
        if found is None:
            return None
        stem, months = found["stem"], found["months"]
        if stem == "max_dpd":
            return f"up to {value:.0f} days past due in {months} months"
        if stem == "missed":
            return f"{_plural(value, 'missed installment')} in {months} months"
        if stem == "partial":
            return f"{_plural(value, 'partly paid installment')} in {months} months"
        if stem.startswith("events_"):
            name = _EVENT_NAMES.get(stem.removeprefix("events_"))
            if name is not None:
                return f"{_plural(value, name)} in {months} months"
        return None

    def _relation(self, feature: str, relation: str, value: Any, row: int) -> str | None:
        fact = self.facts.get(feature, {}).get(row)
        if not value:
            return f"no {relation} in default"
        if fact is None:
            return f"{_plural(value, relation)} in default"
        party, day = fact
        more = round(value) - 1
        tail = f" ({more} more in default)" if more > 0 else ""
        return f"{relation} {party} defaulted on {to_date(day).isoformat()}{tail}"
