"""What a delivery needs to know, as plain values: which channels exist and where their
servers are, and the delivery policy. The entry points build a :class:`NotificationConfig`
from the settings (``loanwatch.cli.notification_wiring``); the job and the CLI build the
channel adapters from it with :func:`build_channels`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from notifications.channels.base import Channel
from notifications.channels.file import FileChannel
from notifications.channels.http_gateway import DEFAULT_GATEWAY_TIMEOUT_S, HttpGatewayChannel
from notifications.channels.smtp import SmtpChannel
from notifications.delivery import DeliveryPolicy
from portfolio.notifications import NotificationChannel

__all__ = ["ChannelConfig", "NotificationConfig", "build_channels", "open_channels"]


@dataclass(frozen=True, slots=True)
class ChannelConfig:
    """Where each channel sends; a channel whose server is ``None`` does not exist (its
    notifications are dead: "not configured"), unless ``file_fallback`` sends it to the
    file channel."""

    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_sender: str = "loanwatch@localhost"
    smtp_username: str | None = None
    smtp_password: str | None = field(default=None, repr=False)
    smtp_starttls: bool = False
    sms_gateway_url: str | None = None
    sms_gateway_token: str | None = field(default=None, repr=False)
    chat_gateway_url: str | None = None
    chat_gateway_token: str | None = field(default=None, repr=False)
    timeout_s: float = DEFAULT_GATEWAY_TIMEOUT_S
    file_dir: Path | None = None
    #: Channels with no server write to the file channel instead (the demo).
    file_fallback: bool = False


@dataclass(frozen=True, slots=True)
class NotificationConfig:
    """The channels and the delivery policy of one process."""

    channels: ChannelConfig = field(default_factory=ChannelConfig)
    policy: DeliveryPolicy = field(default_factory=DeliveryPolicy)


def build_channels(config: ChannelConfig) -> dict[str, Channel]:
    """The adapters ``config`` names, by channel."""
    channels: dict[str, Channel] = {}
    if config.smtp_host:
        channels[NotificationChannel.EMAIL.value] = SmtpChannel(
            config.smtp_host, config.smtp_port, config.smtp_sender,
            username=config.smtp_username, password=config.smtp_password,
            starttls=config.smtp_starttls, timeout_s=config.timeout_s)
    for channel, url, token in ((NotificationChannel.SMS, config.sms_gateway_url,
                                 config.sms_gateway_token),
                                (NotificationChannel.CHAT, config.chat_gateway_url,
                                 config.chat_gateway_token)):
        if url:
            channels[channel.value] = HttpGatewayChannel(channel.value, url, token=token,
                                                         timeout_s=config.timeout_s)
    if config.file_dir is not None:
        file_channel = FileChannel(config.file_dir)
        channels[NotificationChannel.FILE.value] = file_channel
        if config.file_fallback:
            for channel in NotificationChannel:
                channels.setdefault(channel.value, file_channel)
    return channels


@contextmanager
def open_channels(config: ChannelConfig) -> Iterator[dict[str, Channel]]:
    """:func:`build_channels` for a block; the gateways' HTTP clients are closed after."""
    channels = build_channels(config)
    try:
        yield channels
    finally:
        for channel in channels.values():
            if isinstance(channel, HttpGatewayChannel):
                channel.close()
