"""The settings of the notifications (``LOANWATCH_NOTIFY_*``), a part of
:class:`loanwatch.settings.Settings` kept in a module of its own.

The channels: e-mail through the SMTP server at ``NOTIFY_SMTP_HOST`` (unset: no e-mail
channel), SMS and chat through the HTTP gateways at ``NOTIFY_SMS_GATEWAY_URL`` and
``NOTIFY_CHAT_GATEWAY_URL`` (each with its bearer token), and the file channel, one JSON
line per message in ``NOTIFY_FILE_DIR`` (default: ``DATA_DIR/notifications``, under
``var/``), which also takes the channels with no server when ``NOTIFY_FILE_FALLBACK`` is
set (the demo). The delivery: attempts before a notification is dead, the backoff between them,
how many are claimed at once, and how long a claim may stay unfinished.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings

__all__ = ["NotificationSettings"]

DEFAULT_NOTIFY_SMTP_PORT: Final = 25
DEFAULT_NOTIFY_SMTP_SENDER: Final = "loanwatch@localhost"
#: Seconds to wait for an SMTP server or a gateway before the attempt counts as failed.
DEFAULT_NOTIFY_TIMEOUT_S: Final = 10.0
#: Attempts, then the first retry's delay and the longest one (seconds), per notification.
DEFAULT_NOTIFY_MAX_ATTEMPTS: Final = 5
DEFAULT_NOTIFY_RETRY_BASE_S: Final = 60.0
DEFAULT_NOTIFY_RETRY_MAX_S: Final = 3_600.0
#: Notifications claimed per transaction; seconds a claim may stay unfinished.
DEFAULT_NOTIFY_BATCH: Final = 100
DEFAULT_NOTIFY_SENDING_LEASE_S: Final = 600.0


class NotificationSettings(BaseSettings):
    """The ``LOANWATCH_NOTIFY_*`` settings (module docstring)."""

    notify_smtp_host: str | None = None
    notify_smtp_port: int = Field(DEFAULT_NOTIFY_SMTP_PORT, ge=1, le=65535)
    notify_smtp_sender: str = DEFAULT_NOTIFY_SMTP_SENDER
    notify_smtp_username: str | None = None
    #: Secret: never printed.
    notify_smtp_password: SecretStr | None = None
    notify_smtp_starttls: bool = False
    notify_sms_gateway_url: str | None = None
    notify_sms_gateway_token: SecretStr | None = None
    notify_chat_gateway_url: str | None = None
    notify_chat_gateway_token: SecretStr | None = None
    notify_timeout_s: float = Field(DEFAULT_NOTIFY_TIMEOUT_S, gt=0, le=300)
    notify_file_dir: Path | None = None
    #: Deliver through the file channel every channel with no server set (``loanwatch demo``
    #: turns it on: a demo has no SMTP server or SMS gateway).
    notify_file_fallback: bool = False
    notify_max_attempts: int = Field(DEFAULT_NOTIFY_MAX_ATTEMPTS, ge=1, le=100)
    notify_retry_base_s: float = Field(DEFAULT_NOTIFY_RETRY_BASE_S, gt=0, le=86_400)
    notify_retry_max_s: float = Field(DEFAULT_NOTIFY_RETRY_MAX_S, gt=0, le=7 * 86_400)
    notify_batch: int = Field(DEFAULT_NOTIFY_BATCH, ge=1, le=10_000)
    notify_sending_lease_s: float = Field(DEFAULT_NOTIFY_SENDING_LEASE_S, ge=10, le=86_400)

    @field_validator("notify_smtp_host", "notify_smtp_username", "notify_smtp_password",
                     "notify_sms_gateway_url", "notify_sms_gateway_token",
                     "notify_chat_gateway_url", "notify_chat_gateway_token",
                     "notify_file_dir", mode="before")
    @classmethod
    def _blank_notify_is_none(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("notify_sms_gateway_url", "notify_chat_gateway_url")
    @classmethod
    def _gateway_is_http(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("http://", "https://")):
            raise ValueError("not an http:// or https:// URL")
        return value

    @field_validator("notify_smtp_sender")
    @classmethod
    def _sender_is_an_address(cls, value: str) -> str:
        if "@" not in value.strip("@"):
            raise ValueError("not an e-mail address")
        return value

    @field_validator("notify_retry_max_s")
    @classmethod
    def _max_at_least_base(cls, value: float, info: object) -> float:
        base = getattr(info, "data", {}).get("notify_retry_base_s")
        if base is not None and value < base:
            raise ValueError("must be at least LOANWATCH_NOTIFY_RETRY_BASE_S")
        return value
