"""The channels the settings make, the demo's file fallback, and the outbox dispatcher a
collections strategy hands its actions to."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import Engine

from loanwatch.cli.notification_wiring import notification_config
from loanwatch.errors import ConfigurationError
from loanwatch.settings import Settings
from notifications.channels.file import FileChannel
from notifications.channels.http_gateway import HttpGatewayChannel
from notifications.channels.smtp import SmtpChannel
from notifications.config import build_channels, open_channels
from notifications.dispatcher import NotificationRequest, OutboxDispatcher
from notifications.errors import TemplateError
from notifications.outbox import list_notifications
from tests.notifications.delivery_setup import NOW, REMINDER


def test_the_settings_make_the_channels_and_the_policy(tmp_path: Path) -> None:
    config = notification_config(Settings.from_environ({
        "LOANWATCH_DATA_DIR": str(tmp_path),
        "LOANWATCH_NOTIFY_SMTP_HOST": "mail.bank.example",
        "LOANWATCH_NOTIFY_SMTP_SENDER": "collections@bank.example",
        "LOANWATCH_NOTIFY_SMS_GATEWAY_URL": "https://sms.example/send",
        "LOANWATCH_NOTIFY_SMS_GATEWAY_TOKEN": "t0ken",
        "LOANWATCH_NOTIFY_MAX_ATTEMPTS": "7"}))
    with open_channels(config.channels) as channels:
        assert sorted(channels) == ["email", "file", "sms"]
        assert isinstance(channels["email"], SmtpChannel)
        assert isinstance(channels["sms"], HttpGatewayChannel)
        assert channels["sms"].token == "t0ken"  # type: ignore[attr-defined]
        assert channels["file"].directory == tmp_path / "notifications"  # type: ignore[attr-defined]
    assert config.policy.max_attempts == 7
    assert "t0ken" not in repr(config)


def test_the_demo_sends_every_channel_without_a_server_to_the_file(tmp_path: Path) -> None:
    config = notification_config(Settings.from_environ({
        "LOANWATCH_DATA_DIR": str(tmp_path), "LOANWATCH_NOTIFY_FILE_FALLBACK": "true",
        "LOANWATCH_NOTIFY_CHAT_GATEWAY_URL": "http://chat.example/send"}))
    channels = build_channels(config.channels)
    assert {name for name, channel in channels.items()
            if isinstance(channel, FileChannel)} == {"email", "sms", "file"}
    assert isinstance(channels["chat"], HttpGatewayChannel)


@pytest.mark.parametrize(("variable", "value", "message"), [
    ("LOANWATCH_NOTIFY_SMS_GATEWAY_URL", "sms.example", "not an http:// or https:// URL"),
    ("LOANWATCH_NOTIFY_SMTP_SENDER", "collections", "not an e-mail address"),
    ("LOANWATCH_NOTIFY_MAX_ATTEMPTS", "0", "LOANWATCH_NOTIFY_MAX_ATTEMPTS"),
    ("LOANWATCH_NOTIFY_RETRY_MAX_S", "5", "at least LOANWATCH_NOTIFY_RETRY_BASE_S"),
])
def test_bad_notification_settings_name_the_variable(variable: str, value: str,
                                                     message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        Settings.from_environ({variable: value})


@dataclass(frozen=True)
class Action:
    """A stand-in for a strategy's action: what the dispatcher is told to turn into a
    message."""

    case_id: int
    kind: str
    party_id: str


def _describe(action: Action) -> NotificationRequest | None:
    if action.kind == "call":
        return None
    return NotificationRequest(key=f"case:{action.case_id}:{action.kind}", channel=action.kind,
                               party_id=action.party_id, template="payment_reminder",
                               not_before=NOW, context=REMINDER)


def test_the_dispatcher_queues_in_the_actions_transaction_once(database: Engine) -> None:
    dispatcher = OutboxDispatcher(_describe)
    with database.begin() as connection:
        assert dispatcher.dispatch(connection, Action(7, "sms", "P1")) is True
        assert dispatcher.dispatch(connection, Action(7, "sms", "P1")) is False
        assert dispatcher.dispatch(connection, Action(7, "call", "P1")) is False
    with pytest.raises(TemplateError), database.begin() as connection:
        dispatcher.dispatch(connection, Action(8, "email", "P1"))
        OutboxDispatcher(lambda action: NotificationRequest(
            key="x", channel="sms", party_id="P1", template="nope",
            not_before=NOW)).dispatch(connection, action=Action(9, "sms", "P1"))
    assert [n.key for n in list_notifications(database)] == ["case:7:sms"]
