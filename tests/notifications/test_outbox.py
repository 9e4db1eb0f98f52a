"""The outbox on SQLite and PostgreSQL: queued once per key in the caller's transaction,
bad requests refused with nothing written, claims that never overlap, retries by hand."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import Engine, func, select

from notifications.errors import (
    NotificationError,
    NotificationNotFound,
    NotificationNotRetryable,
    TemplateError,
)
from notifications.outbox import (
    NOTIFICATION,
    claim_due,
    expire_stale_claims,
    get_notification,
    list_notifications,
    mark_failure,
    mark_sent,
    queue_notification,
    retry_notification,
)

NOW = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
REMINDER = {"loan_id": "L1", "amount": Decimal("1250.50"), "currency": "CNY",
            "due_date": date(2026, 12, 15)}


def _queue(engine: Engine, key: str, *, party: str = "P1", channel: str = "sms",
           not_before: datetime = NOW) -> bool:
    with engine.begin() as connection:
        return queue_notification(connection, key=key, channel=channel, party_id=party,
                                  template="payment_reminder", context=REMINDER,
                                  not_before=not_before)


def _count(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(NOTIFICATION))
                   .scalar_one())


def test_a_key_is_queued_once_with_its_context_as_json(database: Engine) -> None:
    assert _queue(database, "reminder:L1:2026-12-15") is True
    assert _queue(database, "reminder:L1:2026-12-15", party="P2") is False

    [row] = list_notifications(database)
    assert (row.key, row.party_id, row.channel, row.status, row.attempts) == (
        "reminder:L1:2026-12-15", "P1", "sms", "pending", 0)
    # Amounts stay exact (text), dates ISO 8601.
    assert row.context == {"loan_id": "L1", "amount": "1250.50", "currency": "CNY",
                           "due_date": "2026-12-15"}
    assert row.not_before == NOW and row.next_attempt_at == NOW


def test_a_notification_is_queued_only_if_the_work_that_asked_commits(
        database: Engine) -> None:
    with pytest.raises(RuntimeError), database.begin() as connection:
        queue_notification(connection, key="k1", channel="email", party_id="P1",
                           template="payment_reminder", context=REMINDER, not_before=NOW)
        raise RuntimeError("the case transition failed")
    assert _count(database) == 0


@pytest.mark.parametrize(("changes", "message"), [
    ({"channel": "fax"}, "unknown notification channel 'fax'"),
    ({"template": "hello"}, "unknown notification template 'hello'"),
    ({"context": {"loan_id": "L1"}}, "needs amount, currency, due_date"),
    ({"context": {**REMINDER, "amount": 1250.5}}, "context value 'amount' is a float"),
    ({"context": {**REMINDER, "party_name": "Li"}}, "party_name is read from the graph"),
    ({"not_before": datetime(2026, 12, 2, 9, 0)}, "not_before has no time zone"),
    ({"key": ""}, "a notification key must be 1 to 255 characters"),
    ({"party_id": ""}, "the party id must be 1 to 128 characters"),
])
def test_a_malformed_request_is_refused_and_nothing_is_written(
        database: Engine, changes: dict[str, object], message: str) -> None:
    arguments: dict[str, object] = {"key": "k1", "channel": "sms", "party_id": "P1",
                                    "template": "payment_reminder", "context": REMINDER,
                                    "not_before": NOW, **changes}
    with pytest.raises(NotificationError, match=message), database.begin() as connection:
        queue_notification(connection, **arguments)  # type: ignore[arg-type]
    assert _count(database) == 0
    assert issubclass(TemplateError, NotificationError)


def test_claims_take_what_is_due_once_and_leave_the_future_alone(database: Engine) -> None:
    for number in range(5):
        _queue(database, f"k{number}")
    _queue(database, "later", not_before=NOW + timedelta(hours=1))

    first = claim_due(database, now=NOW, limit=3, token="a" * 32)
    second = claim_due(database, now=NOW, limit=10, token="b" * 32)

    assert [n.key for n in first] == ["k0", "k1", "k2"]
    assert [n.key for n in second] == ["k3", "k4"]
    assert all(n.status == "sending" and n.attempts == 1 for n in first + second)
    assert claim_due(database, now=NOW, limit=10, token="c" * 32) == []
    assert [n.key for n in claim_due(database, now=NOW + timedelta(hours=1), limit=10,
                                     token="d" * 32)] == ["later"]


def test_only_the_claimer_records_the_outcome(database: Engine) -> None:
    _queue(database, "k1")
    [claimed] = claim_due(database, now=NOW, limit=1, token="a" * 32)

    assert not mark_sent(database, claimed.id, "b" * 32, now=NOW, provider_message_id="x",
                         sent_to=None)
    assert mark_sent(database, claimed.id, "a" * 32, now=NOW, provider_message_id="x",
                     sent_to=None)
    assert not mark_failure(database, claimed.id, "a" * 32, now=NOW, error="late",
                            retry_at=None)
    stored = get_notification(database, claimed.id)
    assert (stored.status, stored.provider_message_id, stored.sent_at) == ("sent", "x", NOW)


def test_workers_claiming_at_once_never_share_a_notification(database: Engine) -> None:
    for number in range(60):
        _queue(database, f"k{number:02d}")
    claims: dict[str, list[str]] = {}
    errors: list[BaseException] = []

    def worker(token: str) -> None:
        mine = claims.setdefault(token, [])
        try:
            while batch := claim_due(database, now=NOW, limit=4, token=token):
                mine.extend(n.key for n in batch)
        except BaseException as exc:  # reported below, in the test's thread
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(f"{n:032d}",)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    taken = [key for keys in claims.values() for key in keys]
    assert sorted(taken) == [f"k{number:02d}" for number in range(60)]


def test_a_claim_left_sending_past_its_lease_is_dead_not_sent_again(database: Engine) -> None:
    _queue(database, "k1")
    [claimed] = claim_due(database, now=NOW, limit=1, token="a" * 32)

    assert expire_stale_claims(database, now=NOW + timedelta(minutes=5),
                               lease=timedelta(minutes=10)) == 0
    assert expire_stale_claims(database, now=NOW + timedelta(minutes=11),
                               lease=timedelta(minutes=10)) == 1
    stored = get_notification(database, claimed.id)
    assert stored.status == "dead"
    assert "may or may not have been sent" in (stored.last_error or "")
    assert claim_due(database, now=NOW + timedelta(days=1), limit=5, token="b" * 32) == []


def test_a_dead_notification_is_retried_by_hand_with_fresh_attempts(database: Engine) -> None:
    _queue(database, "k1")
    [claimed] = claim_due(database, now=NOW, limit=1, token="a" * 32)
    mark_failure(database, claimed.id, "a" * 32, now=NOW, error="ChannelError: 550",
                 retry_at=None)

    later = NOW + timedelta(hours=2)
    again = retry_notification(database, claimed.id, now=later)

    assert (again.status, again.attempts, again.next_attempt_at) == ("pending", 0, later)
    assert again.last_error == "ChannelError: 550"
    assert [n.id for n in claim_due(database, now=later, limit=5, token="b" * 32)] == [
        claimed.id]
    with pytest.raises(NotificationNotRetryable, match="is sending"):
        retry_notification(database, claimed.id, now=later)
    with pytest.raises(NotificationNotFound, match="no notification with id 999"):
        retry_notification(database, 999, now=later)


def test_the_list_filters_by_status_channel_and_party(database: Engine) -> None:
    _queue(database, "a", party="P1", channel="sms")
    _queue(database, "b", party="P2", channel="email")
    _queue(database, "c", party="P1", channel="email")

    assert [n.key for n in list_notifications(database)] == ["c", "b", "a"]
    assert [n.key for n in list_notifications(database, channel="email")] == ["c", "b"]
    assert [n.key for n in list_notifications(database, party_id="P1")] == ["c", "a"]
    assert [n.key for n in list_notifications(database, status="sent")] == []
    assert [n.key for n in list_notifications(database, limit=1, offset=1)] == ["b"]
    with pytest.raises(NotificationError, match="unknown notification status 'lost'"):
        list_notifications(database, status="lost")
