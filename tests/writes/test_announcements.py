"""Alert changes made outside the API (a rules run, a scan, the command line) reach the
API's subscribers through Redis when a Redis broker is configured."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import redis

from risk.alerts.commands import announce_outcomes
from risk.alerts.feed import ALERT_CHANNEL, AlertChange, LocalAlertFeed, feed_for_broker
from risk.alerts.lifecycle import AlertDraft, acknowledge, raise_alerts
from tests.command_line import command_line_database, run_loanwatch
from tests.services import REDIS_URL, unreachable


def _draft(severity: str, subject: str = "L1") -> AlertDraft:
    return AlertDraft(rule_id="dpd_30", severity=severity, subject_kind="loan",
                      subject_id=subject, as_of=date(2025, 6, 1), cooldown_days=30)


class Heard(LocalAlertFeed):
    """A feed that keeps what it is told (the real in-process feed, also recording)."""

    def __init__(self) -> None:
        super().__init__()
        self.changes: list[AlertChange] = []

    def publish(self, change: AlertChange) -> None:
        self.changes.append(change)
        super().publish(change)


def test_a_run_announces_what_it_raised_updated_or_escalated_with_the_status_now(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    engine = command_line_database(tmp_path, monkeypatch)
    at = datetime(2025, 6, 1, tzinfo=UTC)
    [first] = raise_alerts(engine, [_draft("medium")], actor="scan", at=at)
    acknowledge(engine, first.alert_id, actor="ann", at=at)
    outcomes = raise_alerts(engine, [_draft("high"), _draft("medium", "L2"),
                                     _draft("low", "L3")], actor="scan", at=at)
    unchanged = raise_alerts(engine, [_draft("low", "L3")], actor="scan", at=at)
    feed = Heard()

    assert announce_outcomes(engine, feed, outcomes + unchanged) == 3
    assert sorted((c.subject_id, c.change, c.status, c.severity) for c in feed.changes) == [
        ("L1", "escalated", "acknowledged", "high"), ("L2", "raised", "open", "medium"),
        ("L3", "raised", "open", "low")]


def test_feed_for_broker_is_redis_only_for_a_redis_url() -> None:
    assert feed_for_broker(None) is None
    assert feed_for_broker("amqp://guest@localhost//") is None
    feed = feed_for_broker(REDIS_URL)
    assert feed is not None
    feed.close()


def test_a_move_on_the_command_line_is_published_to_redis(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    listener = redis.Redis.from_url(REDIS_URL)
    try:
        listener.ping()
    except redis.RedisError as exc:
        unreachable("Redis", REDIS_URL, exc)
    engine = command_line_database(tmp_path, monkeypatch)
    [raised] = raise_alerts(engine, [_draft("high")], actor="scan")
    monkeypatch.setenv("LOANWATCH_BROKER_URL", REDIS_URL)
    pubsub = listener.pubsub(ignore_subscribe_messages=True)
    pubsub.subscribe(ALERT_CHANNEL)
    try:
        assert run_loanwatch(monkeypatch, "alerts", "ack", str(raised.alert_id),
                             "--actor", "ann") == 0
        deadline = time.monotonic() + 10
        message = None
        while message is None and time.monotonic() < deadline:
            message = pubsub.get_message(timeout=0.5)
    finally:
        pubsub.close()
        listener.close()

    assert message is not None, "nothing was published"
    change = AlertChange.from_json(message["data"])
    assert (change.alert_id, change.change, change.status) == \
        (raised.alert_id, "acknowledged", "acknowledged")
