"""IFRS 9 stages and expected credit loss, against figures computed by hand."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal
from types import MappingProxyType

import numpy as np
import pytest
from sqlalchemy import Engine

from portfolio.loans import Loan
from risk.classification.assessment import ManualOverride, assess_book
from risk.classification.book import load_book
from risk.classification.config import ClassificationConfig
from risk.classification.delinquency import delinquency
from risk.classification.errors import ClassificationError
from risk.classification.five_tier import classify_tiers
from risk.classification.ifrs9 import stage_loans
from risk.classification.provisioning_config import (
    DEFAULT_ANNUAL_PD,
    DEFAULT_PROVISIONING,
    ProvisioningConfig,
    Scenario,
)
from risk.classification.tiers import Tier
from tests.risk.classification.books import add_loan, modify, pay, write

DUE = date(2024, 3, 31)
#: Special mention's PD barely above Pass's: no SICR by PD, so the backstop shows alone.
FLAT_PD = ProvisioningConfig(annual_pd=MappingProxyType({**DEFAULT_ANNUAL_PD,
                                                          Tier.SPECIAL_MENTION: 0.015}))


def _stages(engine: Engine, as_of: date, *, provisioning: ProvisioningConfig = DEFAULT_PROVISIONING,
            classification: ClassificationConfig = ClassificationConfig()) -> dict[str, int]:
    book = load_book(engine, as_of)
    dq = delinquency(book)
    retail = np.ones(len(book), dtype=bool)
    tiers = classify_tiers(book, dq, retail, config=classification)
    staging = stage_loans(book, dq, tiers, config=provisioning)
    return dict(zip(book.loan_ids.tolist(), staging.stage.tolist(), strict=True))


@pytest.mark.parametrize(("days", "stage"), [(0, 1), (30, 1), (31, 2), (90, 2), (91, 3)])
def test_the_30_and_90_day_backstops(database: Engine, days: int, stage: int) -> None:
    add_loan(database, "L1", "P1", [DUE])
    assert _stages(database, DUE + timedelta(days=days), provisioning=FLAT_PD)["L1"] == stage


def test_the_90_day_presumption_is_rebuttable(sqlite_engine: Engine) -> None:
    add_loan(sqlite_engine, "L1", "P1", [DUE])
    lenient = ClassificationConfig(substandard_days=120, doubtful_days=270)
    as_of = DUE + timedelta(days=100)
    assert _stages(sqlite_engine, as_of, classification=lenient)["L1"] == 3
    rebutted = replace(DEFAULT_PROVISIONING, impaired_presumption=False)
    assert _stages(sqlite_engine, as_of, classification=lenient,
                   provisioning=rebutted)["L1"] == 2


def test_a_special_mention_pd_doubling_is_a_significant_increase(sqlite_engine: Engine) -> None:
    add_loan(sqlite_engine, "L1", "P1", [DUE])
    # 10 days past due: tier Special mention, PD 0.08 against 0.01 at origination.
    assert _stages(sqlite_engine, DUE + timedelta(days=10))["L1"] == 2
    assert _stages(sqlite_engine, DUE + timedelta(days=10), provisioning=FLAT_PD)["L1"] == 1


def test_forbearance_is_at_least_stage_2_and_stage_3_when_impaired(database: Engine) -> None:
    dues = [date(2024, m, 28) for m in range(1, 13)]
    add_loan(database, "OK", "P1", dues)
    add_loan(database, "BAD", "P2", dues)
    pay(database, "OK", [(d, 1_100) for d in dues])
    modify(database, "M1", "OK", "payment_pause", date(2024, 2, 1),
           pause_until=date(2024, 2, 29), difficulty=True)
    modify(database, "M2", "BAD", "restructuring", date(2024, 2, 1), difficulty=True)
    stages = _stages(database, date(2024, 7, 1), provisioning=FLAT_PD)
    assert stages == {"BAD": 3, "OK": 2}
    # Two years later the forbearance probation is over.
    assert _stages(database, date(2026, 3, 1), provisioning=FLAT_PD)["OK"] == 1


def test_ecl_by_hand_two_scenarios_three_periods_discounted(sqlite_engine: Engine) -> None:
    as_of = date(2024, 1, 1)
    maturity = as_of + timedelta(days=913)  # T = 913 / 365.25 years: periods 1, 1, 0.4997
    write(sqlite_engine, Loan, [{
        "id": "L1", "borrower_id": "P1", "product": "consumer", "principal_minor": 1_000_000,
        "currency": "CNY", "annual_rate": "0.120000", "term_months": 36,
        "disbursed_on": date(2023, 7, 1), "maturity_on": maturity,
        "repayment_method": "bullet", "status": "active"}])
    modify(sqlite_engine, "M1", "L1", "term_extension", date(2023, 12, 1), difficulty=True)
    config = ProvisioningConfig(scenarios=(Scenario("base", 0.7), Scenario("down", 0.3, 2.0, 1.2)))
    book = load_book(sqlite_engine, as_of)
    result = assess_book(book, delinquency(book), np.ones(1, bool), np.zeros(1, bool),
                         provisioning=config)
    (loan,) = result.loans
    assert (loan.tier, loan.stage) == (Tier.SPECIAL_MENTION, 2)  # restructured, forborne
    # By hand: EAD 1,000,000 principal plus interest accrued since disbursement, 184 days
    # at 12% (Actual/365): 60,493.15 -> 60,493; flat (bullet); LGD 0.45 unsecured (no
    # workouts: the prior); EIR 12%; lifetime.
    ead = 1_000_000 + 60_493
    t = 913 / 365.25
    base = 0.45 * ((1 - 0.92) * 1.12 ** -1 + (0.92 - 0.92 ** 2) * 1.12 ** -2
                   + (0.92 ** 2 - 0.92 ** t) * 1.12 ** -t) * ead
    down = 0.54 * ((1 - 0.84) * 1.12 ** -1 + (0.84 - 0.84 ** 2) * 1.12 ** -2
                   + (0.84 ** 2 - 0.84 ** t) * 1.12 ** -t) * ead
    expected = Decimal(round(0.7 * base + 0.3 * down)).scaleb(-2)
    assert loan.ecl == expected == Decimal("1027.21")
    rationale = loan.reasons[-1]
    assert (rationale.rule, rationale.figures["horizon"], rationale.figures["ead"]) == (
        "ecl", "lifetime", "10604.93")
    assert rationale.figures["ead_parts"]["accrued_interest"] == "604.93"
    assert (rationale.figures["pd_source"], rationale.figures["lgd_segment"]["coverage"]) == (
        "tier table", "unsecured")
    assert loan.exposure == Decimal("10000.00")  # the balance owed: principal, no arrears


def test_stage_1_takes_twelve_months_and_a_manual_override_is_recorded(
        sqlite_engine: Engine) -> None:
    as_of = date(2024, 1, 1)
    write(sqlite_engine, Loan, [{
        "id": "L1", "borrower_id": "P1", "product": "consumer", "principal_minor": 1_000_000,
        "currency": "CNY", "annual_rate": "0.000000", "term_months": 36,
        "disbursed_on": date(2023, 7, 1), "maturity_on": date(2026, 7, 1),
        "repayment_method": "bullet", "status": "active"}])
    config = ProvisioningConfig(scenarios=(Scenario("base", 1.0),))
    book = load_book(sqlite_engine, as_of)
    args = (book, delinquency(book), np.ones(1, bool), np.ones(1, bool))
    (loan,) = assess_book(*args, provisioning=config).loans
    # One year, PD 1%, LGD 25% (secured), no discounting: 1,000,000 * 0.01 * 0.25.
    assert (loan.stage, loan.ecl) == (1, Decimal("25.00"))
    override = ManualOverride("officer-7", "fraud found in review", tier=Tier.LOSS, stage=3)
    (overridden,) = assess_book(*args, provisioning=config,
                                overrides={"L1": override}).loans
    assert (overridden.tier, overridden.stage, overridden.ecl) == (Tier.LOSS, 3,
                                                                   Decimal("2500.00"))
    assert overridden.reasons[0].rule == "override.manual"
    assert overridden.reasons[0].figures["computed_stage"] == 1


def _zero_rate_bullet(engine: Engine, loan_id: str = "L1", borrower: str = "P1") -> None:
    write(engine, Loan, [{
        "id": loan_id, "borrower_id": borrower, "product": "consumer",
        "principal_minor": 1_000_000, "currency": "CNY", "annual_rate": "0.000000",
        "term_months": 36, "disbursed_on": date(2023, 7, 1), "maturity_on": date(2026, 7, 1),
        "repayment_method": "bullet", "status": "active", "origination_pd": 0.01}])


def test_a_model_pd_drives_the_ecl_and_the_significant_increase(sqlite_engine: Engine) -> None:
    _zero_rate_bullet(sqlite_engine)
    config = ProvisioningConfig(scenarios=(Scenario("base", 1.0),))
    book = load_book(sqlite_engine, date(2024, 1, 1))
    args = (book, delinquency(book), np.ones(1, bool), np.ones(1, bool))
    # PD 0.015 from model M00042: still stage 1 (under twice 0.01 at origination), one year
    # of PD 0.015 * LGD 0.25 on 1,000,000 = 3,750 minor units.
    (loan,) = assess_book(*args, provisioning=config, pd_now=np.array([0.015]),
                          pd_model="M00042").loans
    assert (loan.stage, loan.ecl) == (1, Decimal("37.50"))
    rationale = loan.reasons[-1]
    assert (rationale.figures["pd"], rationale.figures["pd_source"]) == (0.015, "M00042")
    assert "PD 0.0150 a year (model M00042)" in rationale.text
    # PD 0.05: five times the PD at origination, a significant increase: lifetime ECL.
    (worse,) = assess_book(*args, provisioning=config, pd_now=np.array([0.05]),
                           pd_model="M00042").loans
    sicr = next(r for r in worse.reasons if r.rule == "stage.sicr_pd")
    assert worse.stage == 2 and "(model M00042)" in sicr.text
    assert sicr.figures["pd_now_source"] == "M00042"
    t = 912 / 365.25  # to maturity 2026-07-01 from 2024-01-01
    lifetime = 0.25 * 1_000_000 * (1 - 0.95 ** t)
    assert worse.ecl == Decimal(round(lifetime)).scaleb(-2)
    # A loan the model did not score (NaN) takes the tier table's PD, and says so.
    (table,) = assess_book(*args, provisioning=config, pd_now=np.array([np.nan]),
                           pd_model="M00042").loans
    assert (table.ecl, table.reasons[-1].figures["pd_source"]) == (Decimal("25.00"),
                                                                   "tier table")


@pytest.mark.parametrize(("pd_now", "message"), [
    (np.array([1.5]), "pd_now of loan L1 is 1.5, not a probability in"),
    (np.array([0.1, 0.2]), "pd_now has 2 values for 1 loans"),
])
def test_a_bad_model_pd_is_refused_by_name(sqlite_engine: Engine, pd_now: np.ndarray,
                                           message: str) -> None:
    _zero_rate_bullet(sqlite_engine)
    book = load_book(sqlite_engine, date(2024, 1, 1))
    with pytest.raises(ClassificationError, match=message):
        assess_book(book, delinquency(book), np.ones(1, bool), np.ones(1, bool),
                    pd_now=pd_now)


def test_the_lgd_of_a_live_loan_comes_from_the_books_own_workouts(sqlite_engine: Engine) -> None:
    # OLD defaulted (more than 90 days past due on 2024-05-01) and recovered nothing: one
    # unsecured workout, over 12 months old by 2025-06-30, realised LGD 1.
    add_loan(sqlite_engine, "OLD", "P2", [date(2024, 1, 31)], principal_each=1_000,
             interest_each=0)
    _zero_rate_bullet(sqlite_engine, "L1", "P1")
    as_of = date(2025, 6, 30)
    config = ProvisioningConfig(scenarios=(Scenario("base", 1.0),), lgd_credibility=1.0)
    book = load_book(sqlite_engine, as_of)
    result = assess_book(book, delinquency(book), np.ones(2, bool), np.zeros(2, bool),
                         provisioning=config, pd_now=np.array([0.015, np.nan]),
                         pd_model="M00001")
    loans = {loan.loan_id: loan for loan in result.loans}
    # One observation against k = 1: LGD (1 * 1.0 + 1 * 0.45) / 2 = 0.725.
    assert loans["L1"].reasons[-1].figures["lgd"] == 0.725
    assert loans["L1"].reasons[-1].figures["lgd_segment"] == {
        "collateral": "unsecured", "coverage": "unsecured", "observations": 1,
        "realised_mean": 1.0, "prior": 0.45}
    assert "LGD 0.72 (unsecured: 1 workout(s), realised 1.00, prior 0.45)" in \
        loans["L1"].reasons[-1].text
    # Stage 1, one year of PD 0.015 (the model's) on 1,000,000.
    assert loans["L1"].ecl == Decimal(round(1_000_000 * 0.015 * 0.725)).scaleb(-2)
    # The defaulted loan: stage 3, LGD x EAD (1,000 owed, no interest), PD 1 whatever the
    # model said.
    assert (loans["OLD"].stage, loans["OLD"].ecl) == (3, Decimal("7.25"))
    assert result.lgd is not None and result.lgd.segments[0].observations == 1
