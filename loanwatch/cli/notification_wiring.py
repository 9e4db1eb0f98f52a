"""The notifications' wiring from the settings: the channels and the delivery policy as
plain values (:class:`notifications.config.NotificationConfig`), for the worker, the
in-process jobs and ``loanwatch notifications``."""

from __future__ import annotations

from loanwatch.settings import Settings
from notifications.config import ChannelConfig, NotificationConfig
from notifications.delivery import DeliveryPolicy

__all__ = ["DEFAULT_FILE_FOLDER", "notification_config"]

#: The file channel's folder inside the data directory, when ``NOTIFY_FILE_DIR`` is unset.
DEFAULT_FILE_FOLDER = "notifications"


def notification_config(settings: Settings) -> NotificationConfig:
    """The channels and policy ``settings`` say (secrets in clear: for the code that
    connects, never to print)."""
    def secret(value: object) -> str | None:
        return None if value is None else value.get_secret_value()  # type: ignore[attr-defined]

    return NotificationConfig(
        channels=ChannelConfig(
            smtp_host=settings.notify_smtp_host, smtp_port=settings.notify_smtp_port,
            smtp_sender=settings.notify_smtp_sender,
            smtp_username=settings.notify_smtp_username,
            smtp_password=secret(settings.notify_smtp_password),
            smtp_starttls=settings.notify_smtp_starttls,
            sms_gateway_url=settings.notify_sms_gateway_url,
            sms_gateway_token=secret(settings.notify_sms_gateway_token),
            chat_gateway_url=settings.notify_chat_gateway_url,
            chat_gateway_token=secret(settings.notify_chat_gateway_token),
            timeout_s=settings.notify_timeout_s,
            file_dir=settings.notify_file_dir or settings.data_dir / DEFAULT_FILE_FOLDER,
            file_fallback=settings.notify_file_fallback),
        policy=DeliveryPolicy(
            max_attempts=settings.notify_max_attempts,
            retry_base_s=settings.notify_retry_base_s,
            retry_max_s=settings.notify_retry_max_s, batch=settings.notify_batch,
            sending_lease_s=settings.notify_sending_lease_s))
