"""The seam between the strategy step and whatever sends messages: the strategy step hands
each due message to an :class:`ActionDispatcher` inside the transaction that marks the
action dispatched, so the message is queued exactly when the action is, and never twice
(the action moves from ``planned`` to ``dispatched`` under a conditional update first).

The notification outbox provides the real dispatcher (it queues a notification row, keyed
by :attr:`OutgoingAction.key`, in the same transaction); :class:`ActionLogDispatcher` keeps
nothing but the action row itself, for a book without an outbox.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import Connection

__all__ = ["ActionDispatcher", "ActionLogDispatcher", "OutgoingAction"]


@dataclass(frozen=True, slots=True)
class OutgoingAction:
    """One message of a collections strategy, ready to queue.

    ``key`` (``collections:CASE:STEP``) is unique per action: an idempotency key for the
    outbox. ``party_id`` is the borrower; the address is resolved when it is sent.
    ``context`` holds the values a message may show (case, loan, bucket, days past due,
    outstanding amount and currency, strategy); the dispatcher chooses its template
    (:func:`jobs.collection_messages.describe_action`). ``not_before`` is the first instant
    inside the borrower's contact hours.
    """

    action_id: int
    key: str
    case_id: str
    loan_id: str
    party_id: str
    step: str
    kind: str
    channel: str
    not_before: datetime
    context: dict[str, Any] = field(default_factory=dict)


class ActionDispatcher(Protocol):
    """Queues a message within the caller's transaction (``connection``): when it raises,
    nothing of the action is stored and it is tried again on the next step."""

    def dispatch(self, connection: Connection, action: OutgoingAction) -> None: ...


class ActionLogDispatcher:
    """Queues nothing: the ``collection_action`` row (channel, not-before, status
    ``dispatched``) is the only record. For books without a notification outbox, and the
    command line until one is configured."""

    def dispatch(self, connection: Connection, action: OutgoingAction) -> None:
        del connection, action
