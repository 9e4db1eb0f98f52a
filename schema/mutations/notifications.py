"""``retryNotification``: send a failed or dead notification again (what ``loanwatch
notifications retry`` does), for the people who work the collections.

The notification goes back to ``pending`` with a fresh count of attempts, due now: the next
delivery pass (the outbox's job, every 30 seconds) sends it, so the API needs no channel of
its own. A notification pending, being sent or sent answers ``AlreadyDecided`` with its
status; every retry goes to the audit trail.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Annotated, Final

import strawberry

from auth.audit_events import AuditAction, AuditEvent
from auth.principal import Right
from notifications.errors import NotificationNotFound, NotificationNotRetryable
from notifications.outbox import QueuedNotification, get_notification, retry_notification
from schema.context import Info
from schema.errors import SchemaError
from schema.mutations.audit_sinks import audit_sink
from schema.mutations.errors import NotFound, UserErrorCode
from schema.mutations.post_loan_errors import AlreadyDecided
from schema.permissions import needs
from schema.types.notifications import Notification, notification_from_record

__all__ = ["NotificationMutations"]

_FIELD: Final = ["input", "number"]


@strawberry.input(description="Which notification to send again.")
class RetryNotificationInput:
    number: int = strawberry.field(description="The notification's number "
                                   "(`Notification.number`).")


@strawberry.type(description="The notification, pending again.")
class NotificationRetried:
    notification: Notification = strawberry.field(
        description="The notification as it is now: pending, due now, no attempts yet.")


RetryNotificationResult = Annotated[
    NotificationRetried | AlreadyDecided | NotFound,
    strawberry.union("RetryNotificationResult",
                     description="The notification pending again, or why it was not.")]


def _retry(info: Info, number: int) -> RetryNotificationResult:
    engine = info.context.records
    if engine is None:
        raise SchemaError("this server has no SQL database of notifications")
    try:
        row = retry_notification(engine, number, now=datetime.now(UTC))
    except NotificationNotFound as exc:
        return NotFound(code=UserErrorCode.NOT_FOUND, message=str(exc), field=_FIELD)
    except NotificationNotRetryable as exc:
        return AlreadyDecided(code=UserErrorCode.ALREADY_DECIDED, message=str(exc),
                              field=_FIELD, state=get_notification(engine, number).status,
                              decided_by=None)
    _audit(info, row)
    return NotificationRetried(notification=notification_from_record(row))


def _audit(info: Info, row: QueuedNotification) -> None:
    principal = info.context.principal
    audit_sink(info.context).record(AuditEvent(
        at=datetime.now(UTC), action=AuditAction.CHANGE,
        client_id="anonymous" if principal is None else principal.client_id,
        user=None if principal is None else principal.user,
        operation="mutation retryNotification", targets=(f"notification:{row.id}",),
        source=info.context.source, request_id=info.context.request_id,
        detail={"key": row.key, "channel": row.channel, "party_id": row.party_id}))


@strawberry.type
class NotificationMutations:
    @strawberry.mutation(description="Send a failed or dead notification again: it becomes "
                         "pending, due now, with a fresh count of attempts, and the next "
                         "delivery pass sends it.", metadata=needs(Right.WORK_COLLECTIONS))
    async def retry_notification(
        self, info: Info,
        input_: Annotated[RetryNotificationInput, strawberry.argument(name="input")],
    ) -> RetryNotificationResult:
        return await asyncio.to_thread(_retry, info, input_.number)
