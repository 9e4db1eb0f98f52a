"""SMS and chat through an HTTP gateway: one JSON ``POST`` per message, with :mod:`httpx`.

The request body is ``{"channel", "to", "subject", "body", "reference"}`` (``reference``
is the notification's key), with ``Authorization: Bearer TOKEN`` when a token is set and
``Idempotency-Key: KEY``, so a gateway that deduplicates sends a retried message once.
A 2xx answer is success; its JSON ``id`` (or ``message_id``), when there is one, is kept as
the provider's id. A 4xx answer is permanent (a bad number, a refused token), except 408,
425 and 429 which, like a 5xx answer, a timeout or a refused connection, are transient.
"""

from __future__ import annotations

from typing import Final

import httpx

from notifications.channels.base import OutgoingMessage
from notifications.errors import ChannelError

__all__ = ["DEFAULT_GATEWAY_TIMEOUT_S", "HttpGatewayChannel"]

DEFAULT_GATEWAY_TIMEOUT_S: Final = 10.0
#: 4xx answers that say "later", not "never".
_TRANSIENT_4XX: Final = frozenset({408, 425, 429})
_ANSWER_CHARS: Final = 300


class HttpGatewayChannel:
    """Posts messages of ``channel`` (``sms`` or ``chat``) to the gateway at ``url``."""

    needs_address = True

    def __init__(self, channel: str, url: str, *, token: str | None = None,
                 timeout_s: float = DEFAULT_GATEWAY_TIMEOUT_S,
                 client: httpx.Client | None = None) -> None:
        if not url.startswith(("http://", "https://")):
            raise ValueError(f"the {channel} gateway URL {url!r} is not http(s)")
        self.channel = channel
        self.url = url
        self.token = token
        self.client = client if client is not None else httpx.Client(timeout=timeout_s)

    def __repr__(self) -> str:
        return f"HttpGatewayChannel({self.channel!r}, {self.url!r})"

    def close(self) -> None:
        self.client.close()

    def send(self, message: OutgoingMessage) -> str:
        if not message.to:
            raise ChannelError(f"party {message.party_id} has no phone number for "
                               f"{self.channel}", permanent=True)
        headers = {"Idempotency-Key": message.key}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        payload = {"channel": self.channel, "to": message.to, "subject": message.subject,
                   "body": message.body, "reference": message.key}
        try:
            answer = self.client.post(self.url, json=payload, headers=headers)
        except httpx.HTTPError as exc:
            raise ChannelError(f"the {self.channel} gateway {self.url} failed: "
                               f"{type(exc).__name__}: {exc}", permanent=False) from exc
        if not answer.is_success:
            code = answer.status_code
            raise ChannelError(
                f"the {self.channel} gateway {self.url} answered {code}: "
                f"{answer.text[:_ANSWER_CHARS]}",
                permanent=400 <= code < 500 and code not in _TRANSIENT_4XX)
        return self._provider_id(answer, message.key)

    @staticmethod
    def _provider_id(answer: httpx.Response, key: str) -> str:
        try:
            body = answer.json()
        except ValueError:
            return key
        if isinstance(body, dict):
            for name in ("id", "message_id"):
                if isinstance(body.get(name), str | int) and str(body[name]):
                    return str(body[name])
        return key
