"""Five-tier classification from the repayment history, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pytest
from sqlalchemy import Engine

from graph.model import Label, Node
from graph.stores.embedded import EmbeddedGraphStore
from risk.classification.book import load_book
from risk.classification.delinquency import delinquency
from risk.classification.errors import AsOfBeforeData
from risk.classification.five_tier import QualitativeSignal, borrower_is_retail
from risk.classification.tiers import Tier
from tests.risk.classification.books import add_loan, bureau, classify, modify, month_end, pay

DUE = date(2024, 3, 31)
MONTHS = [month_end(2024, m) for m in range(1, 13)] + [month_end(2025, m) for m in range(1, 13)]


@pytest.mark.parametrize(("days", "tier", "rule"), [
    (0, Tier.PASS, None), (1, Tier.SPECIAL_MENTION, "overdue.any"),
    (90, Tier.SPECIAL_MENTION, "overdue.any"), (91, Tier.SUBSTANDARD, "overdue.over_90"),
    (270, Tier.SUBSTANDARD, "overdue.over_90"), (271, Tier.DOUBTFUL, "overdue.over_270"),
    (360, Tier.DOUBTFUL, "overdue.over_270"), (361, Tier.LOSS, "overdue.over_360"),
])
def test_overdue_floors_at_each_boundary(sqlite_engine: Engine, days: int, tier: Tier,
                                         rule: str | None) -> None:
    add_loan(sqlite_engine, "L1", "P1", [DUE])
    result = classify(sqlite_engine, DUE + timedelta(days=days))["L1"]
    assert result.tier is tier
    assert [r.rule for r in result.reasons] == ([] if rule is None else [rule])
    if rule:
        assert result.reasons[0].figures["days_past_due"] == days
        assert result.reasons[0].figures["overdue_principal"] == "10.00"


def test_boundaries_agree_on_both_databases(database: Engine) -> None:
    add_loan(database, "L1", "P1", [DUE])
    tiers = [classify(database, DUE + timedelta(days=d))["L1"].tier
             for d in (0, 1, 90, 91, 270, 271, 360, 361)]
    assert tiers == [Tier.PASS, Tier.SPECIAL_MENTION, Tier.SPECIAL_MENTION, Tier.SUBSTANDARD,
                     Tier.SUBSTANDARD, Tier.DOUBTFUL, Tier.DOUBTFUL, Tier.LOSS]


def test_repayments_go_to_the_oldest_installment_interest_first(database: Engine) -> None:
    dues = [date(2024, 1, 31), date(2024, 2, 29), date(2024, 3, 31)]
    add_loan(database, "L1", "P1", dues, principal_each=100, interest_each=10)
    pay(database, "L1", [(date(2024, 3, 1), 150)])
    book = load_book(database, date(2024, 4, 10))
    dq = delinquency(book)
    # 110 settles the first installment; 40 pays the second's 10 interest and 30 principal.
    assert (dq.overdue_interest[0], dq.overdue_principal[0]) == (10, 170)
    assert (dq.days_past_due[0], dq.missed[0]) == (41, 2)
    assert dq.outstanding[0] == 300 - 130
    assert dq.paid_day.tolist()[0] == (date(2024, 3, 1) - date(1970, 1, 1)).days


def test_paid_arrears_keep_the_tier_until_the_upgrade_condition(database: Engine) -> None:
    add_loan(database, "L1", "C1", MONTHS)
    # Nothing paid for four months (Jan..Apr due), then all arrears on 2024-05-20, then on time.
    pay(database, "L1", [(date(2024, 5, 20), 4 * 1_100)]
        + [(due, 1_100) for due in MONTHS[4:]])
    assert classify(database, date(2024, 5, 19))["L1"].tier is Tier.SUBSTANDARD
    held = classify(database, date(2024, 5, 21))["L1"]
    assert held.tier is Tier.SUBSTANDARD
    assert [r.rule for r in held.reasons] == ["npl.not_upgraded"]
    assert held.reasons[0].figures["on_time_installments_since"] == 0
    # Two on-time installments (May, June) but not yet six months: still held.
    assert classify(database, date(2024, 7, 1))["L1"].tier is Tier.SUBSTANDARD
    # Six months after the arrears were repaid, with six on-time installments: Pass.
    assert classify(database, date(2024, 11, 19))["L1"].tier is Tier.SUBSTANDARD
    upgraded = classify(database, date(2024, 11, 20))["L1"]
    assert (upgraded.tier, upgraded.reasons) == (Tier.PASS, ())


def test_a_late_payment_after_the_upgrade_starts_no_old_episode(sqlite_engine: Engine) -> None:
    add_loan(sqlite_engine, "L1", "C1", MONTHS)
    payments = [(date(2024, 5, 20), 4 * 1_100)] + [(due, 1_100) for due in MONTHS[4:14]]
    payments.append((MONTHS[14] + timedelta(days=5), 1_100))  # five days late, cured
    payments += [(due, 1_100) for due in MONTHS[15:]]
    pay(sqlite_engine, "L1", payments)
    assert classify(sqlite_engine, MONTHS[15])["L1"].tier is Tier.PASS


def test_more_than_ten_percent_npl_makes_all_of_a_companys_exposure_npl(
        database: Engine) -> None:
    add_loan(database, "BAD", "C1", [DUE], principal_each=200, interest_each=0)
    add_loan(database, "GOOD", "C1", [DUE + timedelta(days=400)], principal_each=1_000)
    add_loan(database, "BAD2", "C2", [DUE], principal_each=100, interest_each=0)
    add_loan(database, "GOOD2", "C2", [DUE + timedelta(days=400)], principal_each=1_000)
    add_loan(database, "PBAD", "P1", [DUE], principal_each=200, interest_each=0)
    add_loan(database, "PGOOD", "P1", [DUE + timedelta(days=400)], principal_each=1_000)
    tiers = classify(database, DUE + timedelta(days=100))
    assert tiers["GOOD"].tier is Tier.SUBSTANDARD  # 200 / 1200 = 16.7% > 10%
    reason = tiers["GOOD"].reasons[0]
    assert (reason.rule, reason.figures["non_performing"], reason.figures["exposure"]) == (
        "debtor.npl_share", "2.00", "12.00")
    assert tiers["GOOD2"].tier is Tier.PASS  # 100 / 1100 = 9.1%
    assert tiers["PGOOD"].tier is Tier.PASS  # retail: the rule does not apply


def test_bureau_overdue_above_twenty_percent_makes_a_company_substandard(
        database: Engine) -> None:
    for loan, party in (("L1", "C1"), ("L2", "C2"), ("L3", "P3"), ("L4", "C4")):
        add_loan(database, loan, party, MONTHS)
    as_of = date(2024, 1, 15)
    bureau(database, "B1", "C1", date(2024, 1, 1), 10_000, 2_001)
    bureau(database, "B2", "C2", date(2024, 1, 1), 10_000, 2_000)
    bureau(database, "B3", "P3", date(2024, 1, 1), 10_000, 9_000)
    bureau(database, "B4", "C4", date(2024, 1, 20), 10_000, 9_000)  # after the as-of date
    tiers = classify(database, as_of)
    assert tiers["L1"].tier is Tier.SUBSTANDARD
    assert tiers["L1"].reasons[0].figures["share"] == pytest.approx(0.2001)
    assert [tiers[k].tier for k in ("L2", "L3", "L4")] == [Tier.PASS] * 3


def test_restructured_loan_observation_period(database: Engine) -> None:
    add_loan(database, "L1", "C1", MONTHS)
    add_loan(database, "L2", "C2", MONTHS)
    on_time = [(due, 1_100) for due in MONTHS]
    pay(database, "L1", on_time)
    # Misses 2024-08-31 in observation and catches up with September's payment.
    pay(database, "L2", [*on_time[:7], (MONTHS[8], 2_200), *on_time[9:]])
    for loan in ("L1", "L2"):
        modify(database, f"M-{loan}", loan, "term_extension", date(2024, 3, 15),
               difficulty=True)
    # Observation starts 2024-03-31 (first repayment after) and lasts a year.
    in_period = classify(database, date(2024, 6, 30))
    assert in_period["L1"].tier is Tier.SPECIAL_MENTION
    assert in_period["L1"].reasons[0].rule == "restructured.observation"
    assert in_period["L1"].reasons[0].figures["observation_ends"] == "2025-03-31"
    assert classify(database, date(2025, 3, 30))["L1"].tier is Tier.SPECIAL_MENTION
    assert classify(database, date(2025, 3, 31))["L1"].tier is Tier.PASS
    missed = classify(database, date(2024, 9, 5))["L2"]
    assert missed.tier is Tier.SUBSTANDARD
    assert missed.reasons[0].rule == "restructured.overdue_in_observation"
    # The observation period restarts from the missed payment: still watched in mid 2025.
    assert classify(database, date(2025, 6, 1))["L2"].reasons[0].figures[
        "observation_starts"] == "2024-08-31"


def test_a_modification_without_financial_difficulty_is_no_restructuring(
        sqlite_engine: Engine) -> None:
    add_loan(sqlite_engine, "L1", "C1", MONTHS)
    pay(sqlite_engine, "L1", [(due, 1_100) for due in MONTHS])
    modify(sqlite_engine, "M1", "L1", "term_extension", date(2024, 3, 15), difficulty=False)
    assert classify(sqlite_engine, date(2024, 6, 30))["L1"].tier is Tier.PASS


def test_qualitative_signals_only_worsen(sqlite_engine: Engine) -> None:
    add_loan(sqlite_engine, "GOOD", "P1", [DUE])
    add_loan(sqlite_engine, "LOST", "P2", [DUE])
    pay(sqlite_engine, "GOOD", [(DUE, 1_100)])
    signals = {"GOOD": [QualitativeSignal(Tier.DOUBTFUL, "court case: fraud")],
               "LOST": [QualitativeSignal(Tier.SPECIAL_MENTION, "looks fine now")]}
    tiers = classify(sqlite_engine, DUE + timedelta(days=400), qualitative=signals)
    assert tiers["GOOD"].tier is Tier.DOUBTFUL
    assert tiers["LOST"].tier is Tier.LOSS
    assert [r.rule for r in tiers["LOST"].reasons] == ["overdue.over_360", "qualitative"]


def test_a_payment_pause_nets_days_past_due(database: Engine) -> None:
    add_loan(database, "L1", "P1", [date(2024, 1, 31), date(2024, 2, 29), date(2024, 3, 31)])
    # Unpaid since 2024-01-31; pause agreed for February and March.
    modify(database, "M1", "L1", "payment_pause", date(2024, 2, 1),
           pause_until=date(2024, 3, 31))
    dq = delinquency(load_book(database, date(2024, 4, 10)))
    # January's installment ages from 2024-04-01 on (the pause began the day after it was
    # due); February's and March's are due on 2024-04-01.
    assert dq.days_past_due.tolist() == [10]
    assert dq.missed.tolist() == [3]
    dq_during = delinquency(load_book(database, date(2024, 3, 15)))
    assert (dq_during.days_past_due.tolist(), dq_during.missed.tolist()) == ([0], [1])
    # Frozen arrears stay overdue: at least Special mention, but no ageing.
    assert classify(database, date(2024, 3, 15))["L1"].tier is Tier.SPECIAL_MENTION


def test_nothing_after_the_as_of_date_changes_the_result(database: Engine) -> None:
    add_loan(database, "L1", "C1", MONTHS)
    add_loan(database, "L2", "C1", MONTHS)
    pay(database, "L1", [(MONTHS[0], 1_100)])
    as_of = date(2024, 6, 30)
    before = classify(database, as_of)
    book = load_book(database, as_of)
    later = as_of + timedelta(days=1)
    pay(database, "L1", [(later, 50_000)])
    pay(database, "L2", [(later, 50_000)])
    modify(database, "M1", "L1", "restructuring", later, difficulty=True)
    bureau(database, "B1", "C1", later, 100, 100)
    add_loan(database, "L3", "C1", [later + timedelta(days=30)], disbursed=later)
    assert classify(database, as_of) == before
    again = load_book(database, as_of)
    assert np.array_equal(again.rep_amount, book.rep_amount)
    assert list(again.loan_ids) == ["L1", "L2"]


def test_an_as_of_date_before_any_data_is_an_error(sqlite_engine: Engine) -> None:
    add_loan(sqlite_engine, "L1", "P1", [DUE])
    with pytest.raises(AsOfBeforeData, match="2023-12-31 is before any data: the first "
                                             "loan was disbursed on 2024-01-01"):
        load_book(sqlite_engine, date(2023, 12, 31))


def test_borrower_type_comes_from_the_graph_node_label(sqlite_engine: Engine) -> None:
    store = EmbeddedGraphStore(sqlite_engine)
    store.upsert_nodes([Node("P1", Label.PERSON, {"name": "Li"}),
                        Node("C1", Label.COMPANY, {"name": "Acme"})])
    assert borrower_is_retail(store, ["P1", "C1", "X9"]).tolist() == [True, False, False]
    assert borrower_is_retail(store, ["X9"], unknown_retail=True).tolist() == [True]
