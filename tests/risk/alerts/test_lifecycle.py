"""The alert lifecycle on SQLite and PostgreSQL: dedupe, cool-down, escalation, transitions,
history, and nothing half-written."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import Engine, event, func
from sqlalchemy.exc import IntegrityError, StatementError
from sqlmodel import Session, select

from portfolio.alerts import Alert, AlertEvent
from risk.alerts.lifecycle import (
    AlertDraft,
    acknowledge,
    assign,
    get_alert,
    history,
    list_alerts,
    raise_alerts,
    resolve,
)
from risk.errors import AlertNotFound, ConcurrentRun, InvalidTransition, RiskError

T0 = datetime(2025, 3, 31, 8, 0, tzinfo=UTC)


def _draft(severity: str = "medium", *, subject: str = "P1", drop: int = 90,
           cooldown: int = 30, rule: str = "bureau-drop") -> AlertDraft:
    return AlertDraft(rule_id=rule, severity=severity, subject_kind="party", subject_id=subject,
                      as_of=date(2025, 3, 31), cooldown_days=cooldown,
                      signals=[{"signal": "bureau_score_drop", "drop": drop}],
                      evidence={"nodes": [{"id": subject, "label": "Person"}], "edges": []})


def _counts(engine: Engine) -> tuple[int, int]:
    with Session(engine) as session:
        alerts = session.exec(select(func.count()).select_from(Alert)).one()
        events = session.exec(select(func.count()).select_from(AlertEvent)).one()
    return alerts, events


def test_raising_stores_the_alert_and_its_first_event(database: Engine) -> None:
    [outcome] = raise_alerts(database, [_draft()], actor="risk-bot", at=T0)
    assert outcome.outcome == "raised"
    alert = get_alert(database, outcome.alert_id)
    assert (alert.status, alert.severity, alert.subject_id) == ("open", "medium", "P1")
    assert alert.dedupe_key == "bureau-drop:party:P1"
    assert alert.signals == [{"signal": "bureau_score_drop", "drop": 90}]
    assert alert.evidence["nodes"] == [{"id": "P1", "label": "Person"}]
    assert alert.raised_at == T0 and alert.raised_at.tzinfo is not None
    [event] = history(database, outcome.alert_id)
    assert (event.actor, event.action, event.from_status, event.to_status) == \
        ("risk-bot", "raised", None, "open")
    assert event.at == T0


def test_the_same_rule_and_subject_update_the_live_alert_not_a_second(database: Engine) -> None:
    [first] = raise_alerts(database, [_draft()], actor="bot", at=T0)
    [same] = raise_alerts(database, [_draft()], actor="bot", at=T0 + timedelta(days=1))
    assert (same.outcome, same.alert_id) == ("unchanged", first.alert_id)
    acknowledge(database, first.alert_id, actor="ana", at=T0 + timedelta(days=1))
    [moved] = raise_alerts(database, [_draft(drop=120)], actor="bot", at=T0 + timedelta(days=2))
    assert (moved.outcome, moved.alert_id) == ("updated", first.alert_id)
    alert = get_alert(database, first.alert_id)
    assert alert.signals[0]["drop"] == 120
    assert alert.status == "acknowledged"  # an update keeps the officer's progress
    assert _counts(database) == (1, 3)


def test_a_higher_severity_escalates_the_live_alert_a_lower_one_does_not(
        database: Engine) -> None:
    [first] = raise_alerts(database, [_draft("medium")], actor="bot", at=T0)
    [up] = raise_alerts(database, [_draft("critical")], actor="bot", at=T0)
    assert (up.outcome, up.alert_id) == ("escalated", first.alert_id)
    [down] = raise_alerts(database, [_draft("low", drop=95)], actor="bot", at=T0)
    assert down.outcome == "updated"
    assert get_alert(database, first.alert_id).severity == "critical"
    actions = [(e.action, e.note) for e in history(database, first.alert_id)]
    assert actions[1] == ("escalated", "severity medium -> critical")


def test_a_resolved_alert_cools_down_then_may_be_raised_again(database: Engine) -> None:
    [first] = raise_alerts(database, [_draft(cooldown=10)], actor="bot", at=T0)
    resolve(database, first.alert_id, actor="ana", note="paid", at=T0)
    [held] = raise_alerts(database, [_draft(cooldown=10)], actor="bot",
                          at=T0 + timedelta(days=9))
    assert (held.outcome, held.alert_id) == ("cooled_down", first.alert_id)
    assert "cool-down of 10 days until 2025-04-10" in held.reason
    assert _counts(database) == (1, 2)
    [again] = raise_alerts(database, [_draft(cooldown=10)], actor="bot",
                           at=T0 + timedelta(days=10))
    assert again.outcome == "raised" and again.alert_id != first.alert_id
    assert get_alert(database, first.alert_id).status == "resolved"


def test_a_rising_severity_breaks_through_the_cool_down(database: Engine) -> None:
    [first] = raise_alerts(database, [_draft("medium")], actor="bot", at=T0)
    resolve(database, first.alert_id, actor="ana", at=T0)
    [same] = raise_alerts(database, [_draft("medium")], actor="bot", at=T0 + timedelta(days=1))
    assert same.outcome == "cooled_down"
    [higher] = raise_alerts(database, [_draft("high")], actor="bot", at=T0 + timedelta(days=1))
    assert higher.outcome == "raised"
    assert "higher severity" in higher.reason


def test_other_rules_and_subjects_are_not_deduplicated(database: Engine) -> None:
    outcomes = raise_alerts(database, [_draft(), _draft(subject="P2"),
                                       _draft(rule="other")], actor="bot", at=T0)
    assert [o.outcome for o in outcomes] == ["raised"] * 3
    assert len({o.alert_id for o in outcomes}) == 3


def test_the_lifecycle_moves_forward_and_records_who_and_when(database: Engine) -> None:
    [raised] = raise_alerts(database, [_draft()], actor="bot", at=T0)
    alert_id = raised.alert_id
    acknowledge(database, alert_id, actor="ana", note="looking", at=T0 + timedelta(hours=1))
    assign(database, alert_id, to="bo", actor="ana", at=T0 + timedelta(hours=2))
    reassigned = assign(database, alert_id, to="cy", actor="bo", note="on leave",
                        at=T0 + timedelta(hours=3))
    assert (reassigned.status, reassigned.assignee) == ("assigned", "cy")
    done = resolve(database, alert_id, actor="cy", note="restructured",
                   at=T0 + timedelta(hours=4))
    assert (done.status, done.resolved_at) == ("resolved", T0 + timedelta(hours=4))
    events = history(database, alert_id)
    assert [(e.actor, e.action, e.from_status, e.to_status, e.note) for e in events] == [
        ("bot", "raised", None, "open", None),
        ("ana", "acknowledged", "open", "acknowledged", "looking"),
        ("ana", "assigned", "acknowledged", "assigned", "assigned to bo"),
        ("bo", "assigned", "assigned", "assigned", "assigned to cy: on leave"),
        ("cy", "resolved", "assigned", "resolved", "restructured"),
    ]
    assert [e.at for e in events] == [T0 + timedelta(hours=h) for h in range(5)]


def test_an_open_alert_may_be_assigned_or_resolved_directly(database: Engine) -> None:
    a, b = raise_alerts(database, [_draft(), _draft(subject="P2")], actor="bot", at=T0)
    assert assign(database, a.alert_id, to="bo", actor="ana").status == "assigned"
    assert resolve(database, b.alert_id, actor="ana").status == "resolved"


@pytest.mark.parametrize(("steps", "action", "status"), [
    (["ack"], "ack", "acknowledged"),
    (["assign"], "ack", "assigned"),
    (["resolve"], "resolve", "resolved"),
    (["resolve"], "assign", "resolved"),
    (["resolve"], "ack", "resolved"),
])
def test_an_invalid_transition_names_the_alert_and_its_status_and_changes_nothing(
        database: Engine, steps: list[str], action: str, status: str) -> None:
    [raised] = raise_alerts(database, [_draft()], actor="bot", at=T0)
    alert_id = raised.alert_id
    do = {"ack": lambda: acknowledge(database, alert_id, actor="ana"),
          "assign": lambda: assign(database, alert_id, to="bo", actor="ana"),
          "resolve": lambda: resolve(database, alert_id, actor="ana")}
    for step in steps:
        do[step]()
    before = _counts(database)
    with pytest.raises(InvalidTransition, match=f"alert {alert_id} is {status}: cannot"):
        do[action]()
    assert _counts(database) == before
    assert get_alert(database, alert_id).status == status


def test_an_unknown_alert_and_a_blank_actor_are_refused(database: Engine) -> None:
    with pytest.raises(AlertNotFound, match="no alert with id 42"):
        acknowledge(database, 42, actor="ana")
    with pytest.raises(AlertNotFound):
        history(database, 42)
    [raised] = raise_alerts(database, [_draft()], actor="bot", at=T0)
    with pytest.raises(RiskError, match="actor must be a name"):
        acknowledge(database, raised.alert_id, actor="  ")
    with pytest.raises(RiskError, match="assignee must be a name"):
        assign(database, raised.alert_id, to="", actor="ana")
    with pytest.raises(RiskError, match="no time zone"):
        resolve(database, raised.alert_id, actor="ana", at=datetime(2025, 1, 1))
    assert get_alert(database, raised.alert_id).status == "open"


def test_a_batch_that_fails_half_way_stores_nothing(database: Engine) -> None:
    good = _draft()
    bad = AlertDraft(rule_id="r", severity="low", subject_kind="party", subject_id="P9",
                     as_of=date(2025, 3, 31), cooldown_days=1,
                     signals=[{"figure": {1, 2}}], evidence={})  # a set is not JSON
    with pytest.raises((StatementError, TypeError), match="not JSON serializable"):
        raise_alerts(database, [good, bad], actor="bot", at=T0)
    assert _counts(database) == (0, 0)
    with pytest.raises(RiskError, match="same rule about the same subject twice"):
        raise_alerts(database, [good, good], actor="bot", at=T0)
    assert _counts(database) == (0, 0)


def test_alerts_are_listed_newest_first_and_by_status(database: Engine) -> None:
    [a] = raise_alerts(database, [_draft()], actor="bot", at=T0)
    [b] = raise_alerts(database, [_draft(subject="P2")], actor="bot", at=T0 + timedelta(days=1))
    resolve(database, a.alert_id, actor="ana")
    assert [x.id for x in list_alerts(database)] == [b.alert_id, a.alert_id]
    assert [x.id for x in list_alerts(database, status="resolved")] == [a.alert_id]
    with pytest.raises(RiskError, match="unknown alert status 'closed'"):
        list_alerts(database, status="closed")


def test_the_database_holds_one_live_alert_per_rule_and_subject(database: Engine) -> None:
    # What stops two runs racing each other from raising the same alert twice.
    def row(status: str) -> Alert:
        return Alert(rule_id="r", severity="low", subject_kind="party", subject_id="P1",
                     status=status, raised_at=T0, updated_at=T0, as_of=date(2025, 3, 31),
                     signals=[], evidence={}, dedupe_key="r:party:P1")

    with Session(database) as session, session.begin():
        session.add_all([row("resolved"), row("resolved"), row("open")])
    with pytest.raises(IntegrityError), Session(database) as session, session.begin():
        session.add(row("assigned"))
    assert _counts(database) == (3, 0)


def test_a_run_racing_another_stores_nothing_and_says_so(database: Engine) -> None:
    # Another writer raises the same alert between this run's read and its write (before
    # this run writes anything: SQLite lets one writer at a time, PostgreSQL more).
    raced = []

    @event.listens_for(database, "after_cursor_execute")
    def _other_run(connection, cursor, statement, parameters,  # type: ignore[no-untyped-def]
                   *args) -> None:
        if raced or "FROM alert" not in statement or "party:P1" not in str(parameters):
            return
        raced.append(True)
        with database.connect() as other:
            other.execute(Alert.__table__.insert().values(  # type: ignore[attr-defined]
                rule_id="bureau-drop", severity="low", subject_kind="party", subject_id="P1",
                status="open", raised_at=T0, updated_at=T0, as_of=date(2025, 3, 31),
                signals=[], evidence={}, dedupe_key="bureau-drop:party:P1"))
            other.commit()

    try:
        with pytest.raises(ConcurrentRun, match="nothing of this run was stored"):
            raise_alerts(database, [_draft(), _draft(subject="P0")], actor="bot", at=T0)
    finally:
        event.remove(database, "after_cursor_execute", _other_run)
    assert _counts(database) == (1, 0)  # the other run's alert only


def test_a_run_for_an_earlier_date_never_overwrites_later_figures(database: Engine) -> None:
    [first] = raise_alerts(database, [_draft(drop=120)], actor="bot", at=T0)
    older = AlertDraft(rule_id="bureau-drop", severity="medium", subject_kind="party",
                       subject_id="P1", as_of=date(2025, 1, 31), cooldown_days=30,
                       signals=[{"signal": "bureau_score_drop", "drop": 85}], evidence={})
    [backfill] = raise_alerts(database, [older], actor="bot", at=T0)
    assert (backfill.outcome, backfill.alert_id) == ("unchanged", first.alert_id)
    assert "later than 2025-01-31" in backfill.reason
    alert = get_alert(database, first.alert_id)
    assert (alert.as_of, alert.signals[0]["drop"]) == (date(2025, 3, 31), 120)


def test_a_large_run_mixes_every_outcome_across_look_up_chunks(database: Engine) -> None:
    # More keys than one look-up query takes (500), so that the live and the resolved
    # alerts of a key are found whichever chunk it falls in.
    subjects = [f"P{i:04d}" for i in range(1_200)]
    first = raise_alerts(database, [_draft(subject=s, cooldown=10) for s in subjects],
                         actor="bot", at=T0)
    assert [o.outcome for o in first] == ["raised"] * 1_200
    ids = [o.alert_id for o in first]
    assert ids == sorted(ids)  # raised in the order of the drafts
    for outcome in first[700:1_100]:
        resolve(database, outcome.alert_id, actor="ana", at=T0)

    later = T0 + timedelta(days=1)
    second = raise_alerts(
        database,
        [_draft(subject=s, cooldown=10, drop=95 if i < 300 else 90)
         for i, s in enumerate(subjects)] + [_draft(subject="NEW", cooldown=10)],
        actor="bot", at=later)
    outcomes = [o.outcome for o in second]
    assert outcomes[:300] == ["updated"] * 300        # live, new figures
    assert outcomes[300:700] == ["unchanged"] * 400   # live, same figures
    assert outcomes[700:1_100] == ["cooled_down"] * 400  # resolved a day ago
    assert outcomes[1_100:1_200] == ["unchanged"] * 100
    assert outcomes[1_200] == "raised"
    assert [o.alert_id for o in second[:1_200]] == ids
    # 1,201 alerts; 1,200 raised + 400 resolved + 300 updated + 1 raised events.
    assert _counts(database) == (1_201, 1_901)
