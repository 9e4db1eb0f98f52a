"""The generator's loss buffers and PDs at origination: written for a realistic share of
parties and loans, in range, so the stress test, the guarantor rule and the IFRS 9 staging
all meet both a stored value and the fallback."""

from __future__ import annotations

from collections import Counter

from tests.seeds.portfolio_files import PortfolioFiles, cents


def test_companies_with_audited_equity_and_some_persons_carry_a_loss_buffer(
        portfolio: PortfolioFiles) -> None:
    companies = portfolio.table("companies")
    with_buffer = Counter(row["size"] for row in companies if row["loss_buffer"])
    sizes = Counter(row["size"] for row in companies)
    assert with_buffer["micro"] == 0
    for size, low, high in (("small", 0.1, 0.3), ("medium", 0.6, 0.8), ("large", 0.8, 1.0)):
        if sizes[size] >= 20:
            assert low <= with_buffer[size] / sizes[size] <= high, size
    for row in companies:
        if row["loss_buffer"]:
            ratio = cents(row["loss_buffer"]) / cents(row["registered_capital"])
            assert 0.49 <= ratio <= 4.01, row["id"]
    persons = portfolio.table("persons")
    share = sum(1 for row in persons if row["loss_buffer"]) / len(persons)
    assert 0.03 <= share <= 0.15
    assert all(cents(row["loss_buffer"]) > 0 for row in persons if row["loss_buffer"])


def test_nine_loans_in_ten_carry_a_pd_at_origination_inside_the_pass_band(
        portfolio: PortfolioFiles) -> None:
    loans = portfolio.table("loans")
    pds = [float(row["origination_pd"]) for row in loans if row["origination_pd"]]
    assert 0.85 <= len(pds) / len(loans) <= 0.95
    assert min(pds) >= 0.006 and max(pds) <= 0.02
    assert len(set(pds)) > 50  # priced per loan, not one figure
