"""The daily collections run on a tiny book, on SQLite and PostgreSQL: the history of
bucket moves answers for every day exactly as the delinquency pass does, cases open, move,
cure and close with their trail in the real audit table, a date runs once, dates go
forwards, and roll and cure rates come from the history.

The book (monthly installments of 1,000 + 100 due at each month's end, from January 2024),
with buckets current (0), 1-60 and 61+:

* L1 (P1) pays every installment on its day: current throughout.
* L2 (P2) pays nothing until 2024-03-10, then January's installment: 15 days past due on
  02-15, restated to 10 on 03-10 (February's is the oldest unpaid), 61 on 04-30 (61+).
* L3 (C1) pays January, misses February (1-60 from 03-01), pays it on 03-20 (cured), misses
  March (1-60 again from 04-01: a new case, ``paying`` since it paid on 03-20).
* L4 (P4) pays nothing and is written off on 2024-03-15.
"""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import Engine, func, select, text, update
from sqlalchemy.exc import DBAPIError

from portfolio.collections import BucketMove, CaseEvent
from portfolio.loans import Loan
from risk.classification.history import RepaymentHistory
from risk.collections.cases import CaseEventKind, get_case, list_cases, transition_case
from risk.collections.config import Bucket, CollectionsConfig
from risk.collections.errors import (
    CaseTransitionRefused,
    CollectionsError,
    HistoryNotCovered,
    RunOutOfOrder,
)
from risk.collections.history import bucket_as_of, buckets_on
from risk.collections.rates import roll_rates
from risk.collections.run import RunOutcome, run_collections
from tests.audit.trails import trail
from tests.risk.classification.books import add_loan, month_end, pay

CONFIG = CollectionsConfig(buckets=(Bucket("current", 0, 0), Bucket("1-60", 1, 60),
                                    Bucket("61+", 61, None)), max_catch_up_days=90)
DUES = [month_end(2024, m) for m in range(1, 7)]
FIRST = date(2024, 2, 15)
LAST = date(2024, 5, 1)
NOW = datetime(2024, 5, 2, 8, 0, tzinfo=UTC)


def _book(engine: Engine) -> None:
    add_loan(engine, "L1", "P1", DUES)
    pay(engine, "L1", [(due, 1_100) for due in DUES])
    add_loan(engine, "L2", "P2", DUES)
    pay(engine, "L2", [(date(2024, 3, 10), 1_100)])
    add_loan(engine, "L3", "C1", DUES)
    pay(engine, "L3", [(DUES[0], 1_100), (date(2024, 3, 20), 1_100)])
    add_loan(engine, "L4", "P4", DUES)


def _run(engine: Engine, day: date, audit: object) -> RunOutcome:
    return run_collections(engine, day, audit=audit, config=CONFIG,  # type: ignore[arg-type]
                           now=lambda: NOW)


def _moves(engine: Engine, loan: str) -> list[tuple[str, str | None, str, int, str]]:
    table = BucketMove.__table__  # type: ignore[attr-defined]
    with engine.connect() as connection:
        return [(r.effective_on.isoformat(), r.from_bucket, r.to_bucket, r.dpd, r.kind)
                for r in connection.execute(select(table).where(table.c.loan_id == loan)
                                            .order_by(table.c.effective_on))]


def _count(engine: Engine, table: str) -> int:
    with engine.connect() as connection:
        return int(connection.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())


def _write_off(engine: Engine, loan: str) -> None:
    table = Loan.__table__  # type: ignore[attr-defined]
    with engine.begin() as connection:
        connection.execute(update(table).where(table.c.id == loan).values(status="written_off"))


def _events(engine: Engine, case_id: str) -> list[tuple[str, str | None, str, str]]:
    return [(h.event, h.from_state, h.to_state, h.actor)
            for h in get_case(engine, case_id).history]


def test_the_history_cases_and_trail_of_a_book(database: Engine) -> None:
    # Given the book, run on 02-15, then every day to 03-14 (caught up in one call), then
    # L4 is written off, then to 04-20, a user holds L2's case, then to 05-01.
    _book(database)
    audit = trail(database)
    first = _run(database, FIRST, audit)
    assert [d.as_of for d in first.days] == [FIRST]
    assert first.last.summary["by_bucket"] == {"current": 2, "1-60": 2, "61+": 0,
                                               "closed": 0, "written_off": 0}
    assert first.last.summary["history_rows"] == {"opening": 4, "move": 0, "restate": 0}
    caught_up = _run(database, date(2024, 3, 14), audit)
    assert [d.as_of for d in caught_up.days] == [FIRST + timedelta(days=d)
                                                 for d in range(1, 29)]
    _write_off(database, "L4")
    _run(database, date(2024, 4, 20), audit)
    held = transition_case(database, "L2@2024-02-15", CaseEventKind.HELD, actor="ann",
                           reason="borrower disputes the March payment", audit=audit,
                           client_id="console", now=lambda: NOW)
    assert held.state == "on_hold"
    _run(database, LAST, audit)

    # Then each loan's history holds only its changes.
    assert _moves(database, "L1") == [("2024-02-15", None, "current", 0, "opening")]
    assert _moves(database, "L2") == [("2024-02-15", None, "1-60", 15, "opening"),
                                      ("2024-03-10", "1-60", "1-60", 10, "restate"),
                                      ("2024-04-30", "1-60", "61+", 61, "move")]
    assert _moves(database, "L3") == [("2024-02-15", None, "current", 0, "opening"),
                                      ("2024-03-01", "current", "1-60", 1, "move"),
                                      ("2024-03-20", "1-60", "current", 0, "move"),
                                      ("2024-04-01", "current", "1-60", 1, "move")]
    assert _moves(database, "L4") == [("2024-02-15", None, "1-60", 15, "opening"),
                                      ("2024-03-15", "1-60", "written_off", 44, "move")]

    # And the history answers for every day exactly as the delinquency pass does.
    repayments = RepaymentHistory(database)
    day = FIRST
    while day <= LAST:
        late = repayments.days_past_due(day)
        for loan in ("L1", "L2", "L3"):
            position = bucket_as_of(database, loan, day)
            assert (position.dpd, position.bucket) == (
                late.get(loan, 0), CONFIG.bucket_of(late.get(loan, 0))), (loan, day)
        day += timedelta(days=1)
    assert bucket_as_of(database, "L4", LAST).bucket == "written_off"
    assert buckets_on(database, date(2024, 3, 5)) == {
        "L1": ("current", 0), "L2": ("1-60", 34), "L3": ("1-60", 5), "L4": ("1-60", 34)}

    # And the cases went through their states, each transition with its actor.
    assert _events(database, "L2@2024-02-15") == [
        ("opened", None, "open", "system"), ("held", "open", "on_hold", "ann"),
        ("moved", "on_hold", "on_hold", "system")]
    assert _events(database, "L3@2024-03-01") == [
        ("opened", None, "open", "system"), ("cured", "open", "cured", "system")]
    assert _events(database, "L4@2024-02-15") == [
        ("opened", None, "open", "system"), ("written_off", "open", "written_off", "system")]
    again = get_case(database, "L3@2024-04-01")
    assert (again.state, again.bucket, again.segment) == ("open", "1-60",
                                                          "unrated/small/paying")
    l2 = get_case(database, "L2@2024-02-15")
    assert (l2.state, l2.bucket, l2.bucket_since, l2.dpd, l2.segment) == (
        "on_hold", "61+", date(2024, 4, 30), 61, "unrated/small/new")
    assert [c.id for c in list_cases(database, states=["open", "on_hold"])] == [
        "L2@2024-02-15", "L3@2024-04-01"]

    # And every transition reached the audit trail.
    audit.close()
    with database.connect() as connection:
        logged = connection.execute(text(
            "SELECT operation, user_login FROM audit_log WHERE operation LIKE "
            "'collections case %' ORDER BY seq")).fetchall()
    assert sorted(op for op, _ in logged) == sorted(
        ["collections case opened"] * 4 + ["collections case held",
                                           "collections case cured",
                                           "collections case written_off",
                                           "collections case moved"])
    assert ("collections case held", "ann") in [tuple(row) for row in logged]


def test_a_date_runs_once_and_dates_go_forwards(database: Engine) -> None:
    _book(database)
    audit = trail(database)
    _run(database, FIRST, audit)
    _run(database, date(2024, 3, 5), audit)
    rows = (_count(database, "bucket_move"), _count(database, "collection_case"),
            _count(database, "collection_case_event"), _count(database, "collection_run"))

    # The same date again: the stored outcome, nothing written.
    again = _run(database, date(2024, 3, 5), audit)
    assert again.last.already_done and again.last.changes == ()
    earlier = _run(database, date(2024, 3, 1), audit)
    assert earlier.last.already_done and earlier.last.summary["cases"]["opened"] == 1
    # A date before the first run was never run: refused, naming the latest run.
    with pytest.raises(RunOutOfOrder, match=r"2024-02-01 was never run and is before the "
                       r"latest collections run \(2024-03-05\)"):
        _run(database, date(2024, 2, 1), audit)
    # Too many missed days to catch up at once.
    with pytest.raises(CollectionsError, match="max_catch_up_days"):
        run_collections(database, date(2024, 6, 1), audit=audit,
                        config=CollectionsConfig(buckets=CONFIG.buckets))
    assert rows == (_count(database, "bucket_move"), _count(database, "collection_case"),
                    _count(database, "collection_case_event"),
                    _count(database, "collection_run"))
    audit.close()

    # The history is append-only in the database itself.
    with pytest.raises(DBAPIError, match="append-only"), database.begin() as connection:
        connection.execute(text("DELETE FROM bucket_move"))
    # Days outside the runs have no answer.
    with pytest.raises(HistoryNotCovered, match="the runs cover 2024-02-15 to 2024-03-05"):
        bucket_as_of(database, "L2", date(2024, 3, 6))
    with pytest.raises(CollectionsError, match="no loan 'L9'"):
        bucket_as_of(database, "L9", FIRST)


def test_user_transitions_are_checked(database: Engine) -> None:
    _book(database)
    audit = trail(database)
    _run(database, FIRST, audit)
    case_id = "L2@2024-02-15"
    with pytest.raises(CaseTransitionRefused, match="case L2@2024-02-15 is open: resumed is "
                       r"not allowed \(from open: closed, cured, escalated, held, moved, "
                       r"written_off\)"):
        transition_case(database, case_id, CaseEventKind.RESUMED, actor="ann", reason="x",
                        audit=audit)
    with pytest.raises(CollectionsError, match="done by the daily collections run"):
        transition_case(database, case_id, CaseEventKind.CURED, actor="ann", reason="paid",
                        audit=audit)
    with pytest.raises(CollectionsError, match="say why"):
        transition_case(database, case_id, CaseEventKind.HELD, actor="ann", reason=" ",
                        audit=audit)
    with pytest.raises(CollectionsError, match="user's login"):
        transition_case(database, case_id, CaseEventKind.HELD, actor="system", reason="x",
                        audit=audit)
    transition_case(database, case_id, CaseEventKind.HELD, actor="ann", reason="dispute",
                    audit=audit)
    resumed = transition_case(database, case_id, CaseEventKind.RESUMED, actor="bo",
                              reason="dispute settled", audit=audit)
    assert [(h.event, h.actor, h.reason) for h in resumed.history[1:]] == [
        ("held", "ann", "dispute"), ("resumed", "bo", "dispute settled")]
    closed = transition_case(database, case_id, CaseEventKind.CLOSED, actor="bo",
                             reason="settled at the branch", audit=audit, on=FIRST)
    assert (closed.state, closed.closed_on) == ("closed", FIRST)
    with pytest.raises(CaseTransitionRefused, match="is closed"):
        transition_case(database, case_id, CaseEventKind.HELD, actor="ann", reason="x",
                        audit=audit)
    audit.close()
    table = CaseEvent.__table__  # type: ignore[attr-defined]
    with database.connect() as connection:
        assert connection.execute(select(func.count()).select_from(table)).scalar() == 5


def test_roll_and_cure_rates(database: Engine) -> None:
    _book(database)
    audit = trail(database)
    _run(database, FIRST, audit)
    _run(database, date(2024, 3, 14), audit)
    _write_off(database, "L4")
    _run(database, LAST, audit)
    audit.close()
    rates = roll_rates(database, date(2024, 3, 5), date(2024, 3, 25))
    assert rates.columns == ("current", "1-60", "61+", "closed", "written_off")
    # L3 cured, L2 stayed, L4 was written off; L1 stayed current.
    assert rates.counts["1-60"] == {"current": 1, "1-60": 1, "61+": 0, "closed": 0,
                                    "written_off": 1}
    assert rates.counts["current"]["current"] == 1
    assert rates.rates["1-60"]["current"] == 0.3333
    assert rates.cure_rates == {"1-60": 0.3333, "61+": None}
    assert (rates.cure_rate, rates.loans, rates.new_loans) == (0.3333, 4, 0)
    whole = roll_rates(database, FIRST, LAST)
    assert whole.counts["1-60"]["61+"] == 1 and whole.counts["current"]["1-60"] == 1
    assert whole.cure_rate == 0.0
    with pytest.raises(CollectionsError, match="ends"):
        roll_rates(database, LAST, FIRST)


def test_two_runs_of_one_date_at_once_write_it_once(database: Engine) -> None:
    # Two workers handed the same day at the same moment: one writes it, the other finds
    # its row (the unique date) and returns the same stored run.
    _book(database)
    audit = trail(database)
    start = threading.Barrier(2)
    outcomes: list[RunOutcome] = []
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            start.wait()
            outcomes.append(_run(database, FIRST, audit))
        except BaseException as exc:  # reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    audit.close()
    assert errors == []
    assert len({o.last.run_id for o in outcomes}) == 1
    assert sorted(o.last.already_done for o in outcomes) == [False, True]
    assert (_count(database, "collection_run"), _count(database, "bucket_move"),
            _count(database, "collection_case")) == (1, 4, 2)
