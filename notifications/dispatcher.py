"""An action dispatcher that queues notifications: what a collections strategy hands its
messaging actions to (``dispatch(connection, action)``, in the transaction that records the
action), so a message is queued exactly when its action is.

The strategy's action type belongs to the strategy; :class:`OutboxDispatcher` is told how
to turn one into a :class:`NotificationRequest` (or ``None`` for an action that sends no
message, such as a call task) and queues it with
:func:`notifications.outbox.queue_notification`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Generic, TypeVar

from sqlalchemy import Connection

from notifications.outbox import queue_notification

__all__ = ["NotificationRequest", "OutboxDispatcher"]

Action = TypeVar("Action")


@dataclass(frozen=True, slots=True)
class NotificationRequest:
    """The arguments of :func:`notifications.outbox.queue_notification`."""

    key: str
    channel: str
    party_id: str
    template: str
    not_before: datetime
    context: Mapping[str, object] = field(default_factory=dict)


class OutboxDispatcher(Generic[Action]):
    """Queues the notification ``describe(action)`` asks for, in the caller's transaction."""

    def __init__(self, describe: Callable[[Action], NotificationRequest | None]) -> None:
        self.describe = describe

    def dispatch(self, connection: Connection, action: Action) -> bool:
        """Queue ``action``'s notification; True when newly queued, False when the action
        sends none or its key was queued before.

        Raises:
            NotificationError, TemplateError: the request is malformed (nothing written).
        """
        request = self.describe(action)
        if request is None:
            return False
        return queue_notification(connection, key=request.key, channel=request.channel,
                                  party_id=request.party_id, template=request.template,
                                  context=request.context, not_before=request.not_before)
