"""The strategy step's messages through the notification outbox (``jobs.collection_messages``)
on SQLite and PostgreSQL: each dispatched action is one queued notification under the
action's key, on the action's channel, held until its contact-hour instant, with the
overdue notice's figures; a second step queues nothing more."""

from __future__ import annotations

from sqlalchemy import Engine

from jobs.collection_messages import StrategyOutbox, describe_action
from notifications.outbox import list_notifications
from risk.collections.dispatch import OutgoingAction
from tests.risk.collections.test_strategies import MORNING, OPENED, _book, _step


def test_the_steps_messages_are_queued_once_in_the_outbox(database: Engine) -> None:
    _book(database)
    outbox = StrategyOutbox()

    first = _step(database, OPENED, outbox)  # type: ignore[arg-type]
    again = _step(database, OPENED, outbox)  # type: ignore[arg-type]

    queued = sorted(list_notifications(database), key=lambda n: n.key)
    assert sum(first.dispatched.values()) == len(queued) == 2
    assert again.dispatched == {}
    assert [(n.key, n.channel, n.template, n.not_before, n.status) for n in queued] == [
        ("collections:L2@2024-02-15:s.2", "sms", "overdue_notice", MORNING, "pending"),
        ("collections:L4@2024-02-15:s.2", "sms", "overdue_notice", MORNING, "pending")]
    assert queued[0].party_id == "P2"
    assert queued[0].context == {"amount": "60.00", "currency": "CNY", "loan_id": "L2",
                                 "days_past_due": queued[0].context["days_past_due"]}
    assert queued[0].context["days_past_due"] > 0


def test_a_message_before_anything_is_overdue_is_a_plain_reminder() -> None:
    action = OutgoingAction(
        action_id=1, key="collections:L1@2024-02-15:s.1", case_id="L1@2024-02-15",
        loan_id="L1", party_id="P1", step="s.1", kind="reminder", channel="email",
        not_before=MORNING,
        context={"dpd": 0, "outstanding": "10.00", "currency": "CNY"})

    request = describe_action(action)

    assert (request.key, request.channel, request.party_id, request.template,
            request.not_before) == (action.key, "email", "P1", "message", MORNING)
    assert set(request.context) == {"subject", "text"} and "L1" in request.context["subject"]
