"""As-of features on a tiny world with known answers, on every backend: repayments,
inflows, bureau, events, party, relational default facts, and their words."""

from __future__ import annotations

import math
from datetime import date

import pytest

from graph.model import Edge, Label, Node, RelType
from risk.classification.book import day_number
from risk.models.dataset import PortfolioDataset, build_dataset
from risk.models.portfolio_features import FeatureWords
from tests.models.small_world import MONTH_ENDS, borrower, bureau, event, transfers
from tests.portfolio.databases import postgres_engine, sqlite_engine
from tests.risk.rules.stores import Stores, stores

__all__ = ["postgres_engine", "sqlite_engine", "stores"]

D = date(2024, 6, 30)
DUES = MONTH_ENDS[1:]  # Jan 31 .. Jun 30 2024


def _world(s: Stores) -> None:
    # PA pays Jan and Feb on time, March 20 days late, half of April, then nothing.
    borrower(s.engine, s.graph, "PA", "LA", DUES, payments=[
        (DUES[0], 1_100), (DUES[1], 1_100), (date(2024, 4, 20), 1_100),
        (date(2024, 4, 30), 550)])
    # PB paid January 10 days late, the rest on time; July is still to come.
    borrower(s.engine, s.graph, "PB", "LB", (*DUES, date(2024, 7, 31)), payments=[
        (date(2024, 2, 10), 1_100), *[(d, 1_100) for d in DUES[1:]]])
    # PG, who guarantees LA, never paid: more than 90 days past due on 2024-03-31.
    borrower(s.engine, s.graph, "PG", "LG", (date(2023, 12, 31), date(2024, 1, 31)),
             disbursed=date(2023, 11, 30))
    s.graph.upsert_edges([Edge(RelType.GUARANTEES, "PG", "LA", props={
        "amount_minor": 6_000, "amount_currency": "CNY", "signed_on": "2023-12-01"})])
    # PA's inflow: 1,000 a month from PX, 380 in June; its own transfer does not count.
    s.graph.upsert_batch(
        [Node("PX", Label.PERSON, {"name": "PX"}),
         *[Node(a, Label.ACCOUNT, {"opened_on": "2020-01-01"}) for a in ("A1", "A2", "A9")]],
        [Edge(RelType.HOLDS, "PA", "A1"), Edge(RelType.HOLDS, "PA", "A2"),
         Edge(RelType.HOLDS, "PX", "A9")])
    transfers(s.graph, "A9", "A1", [*[(m, 100_000) for m in (
        "2023-12", "2024-01", "2024-02", "2024-03", "2024-04", "2024-05")],
        ("2024-06", 38_000), ("2024-07", 900_000)])
    transfers(s.graph, "A2", "A1", [("2024-06", 500_000)])
    bureau(s.engine, "BA1", "PA", date(2023, 12, 15), 5_000_00, 0)
    bureau(s.engine, "BA2", "PA", date(2024, 6, 30), 9_000_00, 1_000_00)
    event(s.graph, "EV1", ["PA"], "court_case", date(2024, 5, 1), "PA金融借款合同纠纷", 4)
    event(s.graph, "EV2", ["PA"], "news", date(2023, 1, 1), "PA新闻", 2)
    event(s.graph, "EV3", ["PA"], "social", date(2024, 7, 2), "PA帖子", 5)  # after D


@pytest.fixture
def dataset(stores: Stores) -> PortfolioDataset:
    _world(stores)
    return build_dataset(stores.engine, stores.graph, D)


def _row(found: PortfolioDataset, party: str) -> int:
    return found.party_ids.tolist().index(party)


def test_borrowers_in_default_are_left_out_and_counted(dataset: PortfolioDataset) -> None:
    assert dataset.party_ids.tolist() == ["PA", "PB"]
    assert dataset.in_default == 1  # PG
    assert dataset.label is not None and dataset.label.tolist() == [0, 0]


def test_repayment_features_count_missed_partial_and_late_days(
        dataset: PortfolioDataset) -> None:
    a = dataset.frame.iloc[_row(dataset, "PA")]
    b = dataset.frame.iloc[_row(dataset, "PB")]
    # April's installment unpaid since April 30: 61 days past due on June 30.
    assert a["days_past_due"] == 61
    assert a["max_dpd_3m"] == 61
    # Due before June 30 and in (Mar 30, Jun 30]: March (paid late), April, May.
    assert (a["missed_3m"], a["missed_6m"], a["missed_12m"]) == (3, 3, 3)
    assert a["partial_3m"] == 1  # April: 550 of 1,100 by its due date
    assert a["on_time_share_12m"] == pytest.approx(2 / 5)
    assert a["months_since_delinquency"] == 0
    assert (b["days_past_due"], b["max_dpd_3m"], b["max_dpd_6m"]) == (0, 0, 9)
    assert b["missed_6m"] == 1 and b["partial_6m"] == 0
    assert b["months_since_delinquency"] == pytest.approx((30 + 31 + 30 + 31 + 20) / 30.4375)


def test_inflow_bureau_event_and_party_features(dataset: PortfolioDataset) -> None:
    a = dataset.frame.iloc[_row(dataset, "PA")]
    b = dataset.frame.iloc[_row(dataset, "PB")]
    assert a["inflow_last_month"] == 380
    assert a["inflow_ratio_6m"] == pytest.approx(0.38)
    assert a["months_without_inflow_6m"] == 0
    assert a["inflow_trend_6m"] < 0
    assert math.isnan(b["inflow_ratio_6m"])  # no account
    assert (a["bureau_score"], a["bureau_debt"]) == (600, 9_000)
    assert a["bureau_overdue_90_share"] == pytest.approx(1 / 9)
    assert a["bureau_score_change_6m"] == 0  # both score 600; Dec 15 is before Dec 30
    assert (a["events_court_case_3m"], a["events_severe_3m"], a["events_news_12m"],
            a["events_social_3m"], a["event_max_severity_12m"]) == (1, 1, 0, 0, 4)
    assert (a["is_company"], a["age_years"]) == (0, pytest.approx(40, abs=0.01))
    assert a["monthly_income"] == 8_000
    assert a["debt_to_income"] == pytest.approx(9_000 / 96_000)
    # 3,850 paid, interest first: 3,450 of 6,000 principal repaid (minor units).
    assert (a["loans_live"], a["outstanding"]) == (1, 25.50)


def test_relational_facts_name_who_defaulted_and_when(dataset: PortfolioDataset) -> None:
    row = _row(dataset, "PA")
    a = dataset.frame.iloc[row]
    assert a["guarantors_defaulted"] == 1
    assert "guarantors_defaulted" in dataset.graph_columns
    assert "graph_pagerank" in dataset.graph_columns
    assert a["graph_guaranteed_by"] == 1
    assert dataset.describe("guarantors_defaulted", 1.0, row) == \
        "guarantor PG defaulted on 2024-03-31"
    assert dataset.describe("missed_6m", 3.0, row) == "3 missed installments in 6 months"
    assert dataset.describe("inflow_ratio_6m", 0.38, row) == \
        "inflow in 2024-06 is 38% of its 6-month average"
    assert dataset.describe("graph_pagerank", 0.1, row) == \
        "central in the risk graph (PageRank 0.1)"
    assert dataset.describe("missed_6m", float("nan"), row) is None


def test_without_graph_features_there_are_no_graph_columns(stores: Stores) -> None:
    _world(stores)
    found = build_dataset(stores.engine, stores.graph, D, graph_features=False,
                          horizon_months=None)
    assert found.graph_columns == [] and found.label is None
    assert not any(c.startswith("graph_") for c in found.frame.columns)


def test_words_read_as_a_risk_officer_reads_them() -> None:
    words = FeatureWords(date(2025, 6, 15), {
        "related_defaulted": {0: ("P00000009", day_number(date(2025, 3, 2)))}})

    assert words("bureau_inquiries_6m", 3.0, 0) == "3 credit inquiries in 6 months"
    assert words("events_court_case_12m", 1.0, 0) == "1 court case in 12 months"
    assert words("events_severe_3m", 2.0, 0) == "2 severe events in 3 months"
    # June is not over on June 15: May is the month judged.
    assert words("inflow_ratio_6m", 0.38, 0) == \
        "inflow in 2025-05 is 38% of its 6-month average"
    assert words("related_defaulted", 2.0, 0) == \
        "related party P00000009 defaulted on 2025-03-02 (1 more in default)"
    assert words("related_defaulted", 1.0, 1) == "1 related party in default"
    assert words("bureau_score_change_6m", -40.0, 0) == "bureau score fell 40 points in 6 months"
    assert words("max_dpd_12m", 45.0, 0) == "up to 45 days past due in 12 months"
    assert words("related_defaulted", 0.0, 1) == "no related party in default"
    assert words("graph_risk_degree", 5.0, 0) == \
        "linked to 5 parties by guarantees, ownership, kinship or shared contacts"
    assert words("a_column_of_the_lender", 1.0, 0) is None


def test_every_feature_has_words() -> None:
    """No reason code of the portfolio model falls back to "column = value"."""
    from risk.models.portfolio_features import (
        bureau,
        events,
        loans,
        network,
        party,
        repayments,
        transactions,
    )
    columns = [*bureau.COLUMNS, *events.COLUMNS, *loans.COLUMNS, *network.RELATIONAL_COLUMNS,
               *network.PART1_COLUMNS, *party.COLUMNS, *repayments.COLUMNS,
               *transactions.COLUMNS]
    words = FeatureWords(date(2025, 6, 15), {})
    value = {"product": "consumer_loan", "sector": "retail", "company_size": "small"}
    assert [c for c in columns if words(c, value.get(c, 2.0), 0) is None] == []
