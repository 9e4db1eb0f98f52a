"""E-mail over SMTP with the standard library's :mod:`smtplib`.

One connection per message (deliveries are few and far between; a pooled connection would
need its own health checks). The ``Message-ID`` is derived from the notification's key, so
a message retried after a lost answer carries the same id and receiving systems that
deduplicate can. A 5xx answer (a refused sender or recipient, a rejected message) is
permanent; a 4xx answer, a refused connection or a timeout is transient.
"""

from __future__ import annotations

import hashlib
import smtplib
from email.message import EmailMessage
from email.utils import formatdate
from typing import Final

from notifications.channels.base import OutgoingMessage
from notifications.errors import ChannelError

__all__ = ["DEFAULT_SMTP_TIMEOUT_S", "SmtpChannel", "message_id"]

DEFAULT_SMTP_TIMEOUT_S: Final = 10.0
_PERMANENT_FROM: Final = 500


def message_id(key: str, domain: str) -> str:
    """The ``Message-ID`` of the notification ``key`` (stable across attempts)."""
    return f"<{hashlib.sha256(key.encode()).hexdigest()[:32]}@{domain}>"


class SmtpChannel:
    """Sends e-mail through the SMTP server at ``host:port`` as ``sender``."""

    needs_address = True

    def __init__(self, host: str, port: int, sender: str, *, username: str | None = None,
                 password: str | None = None, starttls: bool = False,
                 timeout_s: float = DEFAULT_SMTP_TIMEOUT_S) -> None:
        if not host:
            raise ValueError("the SMTP host is empty")
        if "@" not in sender:
            raise ValueError(f"the sender {sender!r} is not an e-mail address")
        self.host = host
        self.port = port
        self.sender = sender
        self.username = username
        self.password = password
        self.starttls = starttls
        self.timeout_s = timeout_s

    def __repr__(self) -> str:
        return f"SmtpChannel({self.host}:{self.port}, sender={self.sender!r})"

    def _email(self, message: OutgoingMessage) -> EmailMessage:
        email = EmailMessage()
        email["From"] = self.sender
        email["To"] = message.to or ""
        email["Subject"] = message.subject
        email["Date"] = formatdate(usegmt=True)
        email["Message-ID"] = message_id(message.key, self.sender.rpartition("@")[2])
        email.set_content(message.body)
        return email

    def send(self, message: OutgoingMessage) -> str:
        if not message.to:
            raise ChannelError(f"party {message.party_id} has no e-mail address",
                               permanent=True)
        email = self._email(message)
        where = f"the SMTP server {self.host}:{self.port}"
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout_s) as client:
                if self.starttls:
                    client.starttls()
                if self.username:
                    client.login(self.username, self.password or "")
                client.send_message(email)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            raise ChannelError(f"{where} refused the recipient: {codes}",
                               permanent=all(code >= _PERMANENT_FROM for code in codes)) from exc
        except smtplib.SMTPResponseException as exc:
            text = exc.smtp_error.decode(errors="replace") if isinstance(
                exc.smtp_error, bytes) else str(exc.smtp_error)
            raise ChannelError(f"{where} answered {exc.smtp_code} {text}",
                               permanent=exc.smtp_code >= _PERMANENT_FROM) from exc
        except (smtplib.SMTPException, OSError) as exc:
            raise ChannelError(f"{where} failed: {type(exc).__name__}: {exc}",
                               permanent=False) from exc
        return str(email["Message-ID"])
