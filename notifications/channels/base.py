"""What every channel adapter does: send one message, say the provider's id for it, and
raise :class:`notifications.errors.ChannelError` (permanent or transient) when it cannot."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

__all__ = ["Channel", "OutgoingMessage"]


@dataclass(frozen=True, slots=True)
class OutgoingMessage:
    """One message to send.

    Attributes:
        key: the notification's idempotency key; adapters hand it to the provider (an
            ``Idempotency-Key`` header, a ``Message-ID``) so a provider that deduplicates
            can.
        to: the address (an e-mail address, a phone number); ``None`` only for the file
            channel.
    """

    key: str
    channel: str
    party_id: str
    to: str | None
    subject: str
    body: str


@runtime_checkable
class Channel(Protocol):
    """A channel adapter."""

    #: Whether a message needs an address (the file channel writes one without).
    needs_address: bool

    def send(self, message: OutgoingMessage) -> str:
        """Send ``message``; return the provider's id for it.

        Raises:
            ChannelError: it was not sent (``permanent`` says whether to try again).
        """
        ...
