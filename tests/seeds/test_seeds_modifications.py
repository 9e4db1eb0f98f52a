"""The generator's modifications and bureau overdue amounts are consistent with its loans."""

from __future__ import annotations

from collections import Counter
from datetime import date
from decimal import Decimal

from tests.seeds.portfolio_files import PortfolioFiles


def test_restructurings_follow_distress_and_pauses_end_after_they_start(
        portfolio: PortfolioFiles) -> None:
    mods = portfolio.table("modifications")
    kinds = Counter(row["kind"] for row in mods)
    assert kinds["payment_pause"] > 0 and kinds["restructuring"] + kinds["term_extension"] > 0
    disbursed = {row["id"]: row["disbursed_on"] for row in portfolio.table("loans")}
    for row in mods:
        assert row["effective_on"] > disbursed[row["loan_id"]]
        assert date.fromisoformat(row["effective_on"]) <= portfolio.as_of
        if row["kind"] == "payment_pause":
            assert row["pause_until"] >= row["effective_on"]
            assert row["financial_difficulty"] == "false"
        else:
            assert (row["pause_until"], row["financial_difficulty"]) == ("", "true")


def test_bureau_overdue_90_never_exceeds_the_total_debt(portfolio: PortfolioFiles) -> None:
    rows = portfolio.table("bureau")
    assert any(Decimal(row["overdue_90_total"]) > 0 for row in rows)
    assert all(Decimal(row["overdue_90_total"]) <= Decimal(row["total_debt"]) for row in rows)
