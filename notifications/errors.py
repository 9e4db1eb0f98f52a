"""The errors of the notifications. A leaf of ``notifications``: it imports nothing of the
package."""

from __future__ import annotations

from loanwatch.errors import LoanwatchError

__all__ = [
    "ChannelError",
    "NotificationError",
    "NotificationNotFound",
    "NotificationNotRetryable",
    "TemplateError",
]


class NotificationError(LoanwatchError):
    """Base of the notifications' errors (a request to queue one that is malformed: an
    unknown channel or template, a context that is not JSON scalars)."""


class TemplateError(NotificationError):
    """A template is unknown, or its context lacks a value it needs."""


class NotificationNotFound(NotificationError):
    """No notification has that id."""

    def __init__(self, notification_id: int) -> None:
        super().__init__(f"no notification with id {notification_id}",
                         suggestion="list them with `loanwatch notifications list`")
        self.notification_id = notification_id


class NotificationNotRetryable(NotificationError):
    """Only a ``failed`` or ``dead`` notification can be sent again by hand."""


class ChannelError(NotificationError):
    """A channel could not send a message.

    Attributes:
        permanent: trying again would fail the same way (a refused recipient, a 4xx
            answer, no address): the notification is dead at once. Otherwise the fault
            is transient (a server down, a timeout, a 5xx answer) and the attempt is
            retried with backoff.
    """

    def __init__(self, message: str, *, permanent: bool) -> None:
        super().__init__(message)
        self.permanent = permanent
