"""The repayment history answers the early-warning rules' questions (days past due, missed
installments, defaulted parties) from the same as-of pass the classifier uses."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Engine

from risk.classification.history import RepaymentHistory
from risk.rules.delinquency import DelinquencySource
from tests.risk.classification.books import add_loan, month_end, pay

DUES = [month_end(2024, m) for m in (1, 2, 3, 4)]


def test_days_past_due_missed_and_defaults_as_of_a_date(database: Engine) -> None:
    # L1 (P1): the first installment paid 10 days late, nothing after: past due since the
    # end of February. L2 (C1): every installment paid on its day. L3 (P2): never paid.
    add_loan(database, "L1", "P1", DUES)
    pay(database, "L1", [(date(2024, 2, 10), 1_100)])
    add_loan(database, "L2", "C1", DUES)
    pay(database, "L2", [(due, 1_100) for due in DUES])
    add_loan(database, "L3", "P2", DUES)
    history = RepaymentHistory(database)
    assert isinstance(history, DelinquencySource)

    as_of = date(2024, 6, 30)
    assert history.days_past_due(as_of) == {"L1": (as_of - DUES[1]).days,
                                            "L3": (as_of - DUES[0]).days}
    # Installments due in February to April, not paid in full by their due day.
    assert history.missed_installments(as_of, since=date(2024, 2, 1)) == {"L1": 3, "L3": 3}
    # The January installment of L1 was paid late: missed, by the rules' definition.
    assert history.missed_installments(as_of, since=date(2024, 1, 1)) == {"L1": 4, "L3": 4}
    # More than 90 days past due on June 30: L3 (152 days) and L1 (122 days).
    assert history.defaulted_parties(as_of) == ["P1", "P2"]
    # L3's first installment fell due on January 31: 90 days on April 30, 91 on May 1.
    assert history.defaulted_parties(date(2024, 4, 30)) == []
    assert history.defaulted_parties(date(2024, 5, 1)) == ["P2"]


def test_data_after_the_date_changes_nothing(sqlite_engine: Engine) -> None:
    add_loan(sqlite_engine, "L1", "P1", DUES)
    as_of = date(2024, 3, 15)
    before = RepaymentHistory(sqlite_engine).days_past_due(as_of)
    pay(sqlite_engine, "L1", [(date(2024, 3, 20), 3_300)])  # after the as-of date
    assert RepaymentHistory(sqlite_engine).days_past_due(as_of) == before == {
        "L1": (as_of - DUES[0]).days}
