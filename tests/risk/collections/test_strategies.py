"""The strategy step on a tiny book, on SQLite and PostgreSQL: cases get a strategy by a
deterministic champion/challenger split, their steps are planned from the day the case
opened and the next due date, messages go on the borrower's channel inside their contact
hours and within the frequency limits, tasks open for collectors, ended cases' actions are
cancelled, and running the step again changes nothing.

The book (installments of 10.00 + 1.00 CNY due at each month's end from January 2024): L2
(P2) and L4 (P4) pay nothing, so both open a case on 2024-02-15 (15 days past due); the
first installment due on or after that day is 2024-02-29.
"""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import Connection, Engine, select, update

from portfolio.collection_strategies import CollectionAction, StrategyAssignment
from portfolio.loans import Loan
from risk.collections.actions import case_actions, complete_task, list_tasks
from risk.collections.cases import CaseEventKind, transition_case
from risk.collections.config import Bucket, CollectionsConfig
from risk.collections.contact import (
    Preference,
    choose_channel,
    get_contact_preference,
    send_time,
    set_contact_preference,
)
from risk.collections.dispatch import OutgoingAction
from risk.collections.errors import (
    ActionRefused,
    CollectionsError,
    ContactPreferenceRefused,
)
from risk.collections.planning import split_of
from risk.collections.run import run_collections
from risk.collections.strategy_config import (
    CHALLENGER,
    CHAMPION,
    ActionKind,
    Anchor,
    ContactRules,
    FrequencyLimit,
    SegmentRule,
    Step,
    Strategy,
    StrategyConfig,
)
from risk.collections.strategy_step import StepOutcome, run_strategy_step
from tests.audit.trails import trail
from tests.risk.classification.books import add_loan, month_end

BUCKETS = CollectionsConfig(buckets=(Bucket("current", 0, 0), Bucket("1-60", 1, 60),
                                     Bucket("61+", 61, None)), max_catch_up_days=90)
DUES = [month_end(2024, m) for m in range(1, 7)]
OPENED = date(2024, 2, 15)
#: 08:30 in Shanghai on the day the cases open.
MORNING = datetime(2024, 2, 15, 0, 30, tzinfo=UTC)
STRATEGIES = StrategyConfig(
    strategies=(
        Strategy("firm", (Step(ActionKind.REMINDER, -3, Anchor.DUE), Step(ActionKind.SMS, 0),
                          Step(ActionKind.SMS, 0), Step(ActionKind.CALL_TASK, 2))),
        Strategy("soft", (Step(ActionKind.EMAIL, 0), Step(ActionKind.LETTER, 1)))),
    segments=(SegmentRule("*", "firm", (("soft", 5_000),)),),
    contact=ContactRules(start=time(8, 0), end=time(20, 0), timezone="Asia/Shanghai",
                         limits=(FrequencyLimit("sms", 1, 1),)))
#: Every case on the firm strategy.
FIRM = StrategyConfig(strategies=STRATEGIES.strategies,
                      segments=(SegmentRule("*", "firm"),), contact=STRATEGIES.contact)


class Recorder:
    """A dispatcher that keeps what it was handed (within the step's transaction)."""

    def __init__(self) -> None:
        self.sent: list[OutgoingAction] = []

    def dispatch(self, connection: Connection, action: OutgoingAction) -> None:
        assert connection.in_transaction()
        self.sent.append(action)


def _book(engine: Engine) -> None:
    add_loan(engine, "L2", "P2", DUES)
    add_loan(engine, "L4", "P4", DUES)
    audit = trail(engine)
    run_collections(engine, OPENED, audit=audit, config=BUCKETS, now=lambda: MORNING)
    audit.close()


def _step(engine: Engine, day: date, dispatcher: Recorder, *, now: datetime | None = None,
          config: StrategyConfig = FIRM) -> StepOutcome:
    clock = now or datetime.combine(day, time(0, 30), UTC)
    audit = trail(engine)
    try:
        return run_strategy_step(engine, day, config=config, dispatcher=dispatcher,
                                 audit=audit, now=lambda: clock)
    finally:
        audit.close()


def _actions(engine: Engine, case_id: str) -> list[tuple[str, str, str, str, str | None]]:
    return [(a.step, a.kind, a.planned_on.isoformat(), a.status, a.channel)
            for a in case_actions(engine, case_id)]


def test_the_split_is_deterministic_and_spreads_by_the_shares() -> None:
    # Given a rule giving 20% to a challenger, when 4,000 case ids are split
    rule = SegmentRule("*", "firm", (("soft", 2_000),))
    arms = [rule.choose(split_of(f"L{i}@2024-02-15"))[1] for i in range(4_000)]
    # Then the same id always gets the same arm, and the share is about 20%.
    assert [rule.choose(split_of(f"L{i}@2024-02-15"))[1] for i in range(50)] == arms[:50]
    assert 0.17 < arms.count(CHALLENGER) / len(arms) < 0.23
    assert rule.choose(1_999) == ("soft", CHALLENGER)
    assert rule.choose(2_000) == ("firm", CHAMPION)


def test_cases_are_assigned_once_by_their_split(database: Engine) -> None:
    _book(database)
    outcome = _step(database, OPENED, Recorder(), config=STRATEGIES)
    table = StrategyAssignment.__table__  # type: ignore[attr-defined]
    with database.connect() as connection:
        rows = {r.case_id: (r.strategy, r.arm, r.split, r.segment) for r in
                connection.execute(select(table))}
    expected = {}
    for case_id in ("L2@2024-02-15", "L4@2024-02-15"):
        split = split_of(case_id)
        strategy, arm = ("soft", CHALLENGER) if split < 5_000 else ("firm", CHAMPION)
        expected[case_id] = (strategy, arm, split, "unrated/small/new")
    assert rows == expected
    assert sum(outcome.assigned.values()) == 2
    again = _step(database, OPENED, Recorder(), config=STRATEGIES)
    assert again.assigned == {}


def test_messages_tasks_contact_hours_and_limits(database: Engine) -> None:
    # Given both cases on the firm strategy, P4 preferring e-mail and refusing SMS
    _book(database)
    audit = trail(database)
    set_contact_preference(database, "P4", preferred_channel="email", refused=["sms"],
                           timezone="Europe/Paris", actor="ann", audit=audit)
    recorder = Recorder()

    # When the step runs on the opening day at 08:30 in Shanghai
    first = _step(database, OPENED, recorder)

    # Then the steps are planned from the opening day and from the next due date (02-29)
    assert _actions(database, "L2@2024-02-15") == [
        ("s.2", "sms", "2024-02-15", "dispatched", "sms"),
        ("s.3", "sms", "2024-02-15", "planned", None),
        ("s.4", "call_task", "2024-02-17", "planned", None),
        ("s.1", "reminder", "2024-02-26", "planned", None)]
    # and one SMS went to P2 at once (inside its hours), the second waits for the limit
    l2 = [a for a in recorder.sent if a.case_id == "L2@2024-02-15"]
    assert [(a.key, a.channel, a.not_before) for a in l2] == [
        ("collections:L2@2024-02-15:s.2", "sms", MORNING)]
    assert l2[0].context["outstanding"] == "60.00" and l2[0].kind == "sms"
    waiting = {a.step: a.note for a in case_actions(database, "L2@2024-02-15")}
    assert waiting["s.3"] == "waits: at most 1 sms in 1 day(s) per borrower"
    # and P4's SMS steps went by e-mail (refused SMS, no e-mail limit), at 08:00 in Paris
    l4 = [(a.step, a.channel, a.not_before) for a in recorder.sent
          if a.case_id == "L4@2024-02-15"]
    paris_eight = datetime(2024, 2, 15, 7, 0, tzinfo=UTC)
    assert l4 == [("s.2", "email", paris_eight), ("s.3", "email", paris_eight)]
    assert first.dispatched == {"sms": 1, "email": 2}
    assert first.waiting == {"limit:sms": 1}

    # When the step runs again the same day: nothing more is sent
    assert _step(database, OPENED, recorder).dispatched == {}
    assert len(recorder.sent) == 3

    # When it runs the next day at 21:00 Shanghai (after hours): the waiting SMS goes,
    # not before 08:00 the day after
    late = datetime(2024, 2, 16, 13, 0, tzinfo=UTC)
    _step(database, OPENED + timedelta(days=1), recorder, now=late)
    assert recorder.sent[-1].key == "collections:L2@2024-02-15:s.3"
    assert recorder.sent[-1].not_before == datetime(2024, 2, 17, 0, 0, tzinfo=UTC)

    # When the call is due: it becomes an open task, which a collector closes
    _step(database, date(2024, 2, 17), recorder)
    tasks = list_tasks(database)
    assert [(t.case_id, t.kind, t.status) for t in tasks] == [
        ("L2@2024-02-15", "call_task", "open"), ("L4@2024-02-15", "call_task", "open")]
    done = complete_task(database, tasks[0].id, actor="bo", outcome="no answer",
                         audit=audit)
    assert (done.status, done.done_by, done.note) == ("done", "bo", "no answer")
    with pytest.raises(ActionRefused, match="only an open task"):
        complete_task(database, tasks[0].id, actor="bo", outcome="again", audit=audit)
    assert [t.id for t in list_tasks(database)] == [tasks[1].id]
    audit.close()


def test_a_case_on_hold_waits_and_an_ended_case_is_cancelled(database: Engine) -> None:
    _book(database)
    audit = trail(database)
    transition_case(database, "L2@2024-02-15", CaseEventKind.HELD, actor="ann",
                    reason="dispute", audit=audit)
    recorder = Recorder()
    outcome = _step(database, OPENED, recorder)
    assert {a.case_id for a in recorder.sent} == {"L4@2024-02-15"}
    assert outcome.waiting["on_hold"] == 2
    # L4 is written off; the next run closes its case; its planned actions are cancelled.
    loans = Loan.__table__  # type: ignore[attr-defined]
    with database.begin() as connection:
        connection.execute(update(loans).where(loans.c.id == "L4")
                           .values(status="written_off"))
    run_collections(database, OPENED + timedelta(days=1), audit=audit, config=BUCKETS,
                    now=lambda: MORNING)
    after = _step(database, OPENED + timedelta(days=1), recorder)
    assert after.cancelled == 3  # s.3 (waiting for the SMS limit), s.4, s.1
    statuses = {a.step: (a.status, a.note) for a in case_actions(database, "L4@2024-02-15")}
    assert statuses["s.4"] == ("cancelled", "the case was written off first")
    assert statuses["s.2"][0] == "dispatched"
    audit.close()


def test_a_dispatcher_that_fails_leaves_the_actions_planned(database: Engine) -> None:
    _book(database)

    class Broken:
        def dispatch(self, connection: Connection, action: OutgoingAction) -> None:
            raise RuntimeError("outbox down")

    with pytest.raises(RuntimeError, match="outbox down"):
        _step(database, OPENED, Broken())  # type: ignore[arg-type]
    table = CollectionAction.__table__  # type: ignore[attr-defined]
    with database.connect() as connection:
        statuses = set(connection.execute(select(table.c.status)).scalars())
    assert statuses == {"planned"}
    recorder = Recorder()
    _step(database, OPENED, recorder)
    assert [a.key for a in recorder.sent] == ["collections:L2@2024-02-15:s.2",
                                              "collections:L4@2024-02-15:s.2"]


def test_contact_preferences_are_checked_and_kept(database: Engine) -> None:
    audit = trail(database)
    with pytest.raises(ContactPreferenceRefused, match="unknown channel 'fax'"):
        set_contact_preference(database, "P1", preferred_channel="fax", actor="ann",
                               audit=audit)
    with pytest.raises(ContactPreferenceRefused, match="sms is also refused"):
        set_contact_preference(database, "P1", preferred_channel="sms", refused=["sms"],
                               actor="ann", audit=audit)
    with pytest.raises(ContactPreferenceRefused, match="unknown time zone"):
        set_contact_preference(database, "P1", preferred_channel="sms",
                               timezone="Mars/Base", actor="ann", audit=audit)
    set_contact_preference(database, "P1", preferred_channel="chat", refused=["sms"],
                           actor="ann", audit=audit)
    set_contact_preference(database, "P1", preferred_channel="email", actor="bo",
                           audit=audit)
    found = get_contact_preference(database, "P1")
    assert (found.preferred_channel, found.refused, found.updated_by) == ("email", (), "bo")
    audit.close()


def test_listing_tasks_with_an_unknown_status_is_refused(database: Engine) -> None:
    with pytest.raises(CollectionsError, match="unknown action status"):
        list_tasks(database, statuses=["lost"])


def test_two_steps_at_once_dispatch_each_message_once(database: Engine) -> None:
    # Given the book, when two workers run the same day's step at the same time
    _book(database)
    recorders = [Recorder(), Recorder()]
    barrier = threading.Barrier(2)
    failures: list[BaseException] = []

    def work(recorder: Recorder) -> None:
        barrier.wait()
        try:
            _step(database, OPENED, recorder)
        except BaseException as exc:  # reported below, not swallowed
            failures.append(exc)

    threads = [threading.Thread(target=work, args=(r,)) for r in recorders]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    # Then both finished, and each message was handed over once between them
    assert failures == []
    keys = sorted(a.key for r in recorders for a in r.sent)
    assert keys == ["collections:L2@2024-02-15:s.2", "collections:L4@2024-02-15:s.2"]
    table = StrategyAssignment.__table__  # type: ignore[attr-defined]
    with database.connect() as connection:
        assert len(connection.execute(select(table)).fetchall()) == 2


@pytest.mark.parametrize(("now", "expected"), [
    # 05:00 in Shanghai: the window opens at 08:00 the same day
    (datetime(2024, 2, 14, 21, 0, tzinfo=UTC), datetime(2024, 2, 15, 0, 0, tzinfo=UTC)),
    # 12:00 in Shanghai: at once
    (datetime(2024, 2, 15, 4, 0, tzinfo=UTC), datetime(2024, 2, 15, 4, 0, tzinfo=UTC)),
    # 20:00 in Shanghai (the end is excluded): 08:00 the next day
    (datetime(2024, 2, 15, 12, 0, tzinfo=UTC), datetime(2024, 2, 16, 0, 0, tzinfo=UTC)),
    # the day before the planned day: 08:00 on the planned day
    (datetime(2024, 2, 13, 4, 0, tzinfo=UTC), datetime(2024, 2, 15, 0, 0, tzinfo=UTC)),
])
def test_send_time_is_inside_the_local_contact_hours(now: datetime,
                                                      expected: datetime) -> None:
    assert send_time(STRATEGIES.contact, None, OPENED, now) == expected


def test_the_channel_follows_the_borrowers_word() -> None:
    rules = STRATEGIES.contact
    assert choose_channel(ActionKind.REMINDER, None, rules) == "sms"
    chat = Preference("P1", preferred_channel="chat")
    assert choose_channel(ActionKind.REMINDER, chat, rules) == "chat"
    assert choose_channel(ActionKind.EMAIL, chat, rules) == "email"
    no_email = Preference("P1", preferred_channel="chat", refused=("email",))
    assert choose_channel(ActionKind.EMAIL, no_email, rules) == "chat"
    silent = Preference("P1", refused=("sms", "email", "chat"))
    assert choose_channel(ActionKind.SMS, silent, rules) is None
