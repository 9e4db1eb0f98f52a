"""The outbox: queueing a notification in the caller's transaction, claiming due ones for
delivery, recording each attempt's outcome, listing and retrying them.

:func:`queue_notification` is what other work calls (a collections strategy's dispatcher,
a broken promise): it writes one row in the connection's transaction, so the message is
queued if and only if that work commits, and its ``key`` (unique) makes a second request
queue nothing. Delivery (:mod:`notifications.delivery`) claims due rows with a conditional
``UPDATE`` (``FOR UPDATE SKIP LOCKED`` on PostgreSQL), so two workers never claim one row;
only the claimer (its random ``claim_token``) records the outcome.

Every function takes a connection or the engine; the clock is an argument.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, Final

from sqlalchemy import Connection, Engine, select, update
from sqlalchemy.dialects import postgresql, sqlite

from notifications.errors import (
    NotificationError,
    NotificationNotFound,
    NotificationNotRetryable,
)
from notifications.templates import check_context
from portfolio.loans import EXTERNAL_ID_LENGTH
from portfolio.notifications import (
    KEY_LENGTH,
    Notification,
    NotificationChannel,
    NotificationStatus,
)

__all__ = [
    "DUE_STATES",
    "MAX_ERROR_CHARS",
    "NOTIFICATION",
    "QueuedNotification",
    "claim_due",
    "expire_stale_claims",
    "get_notification",
    "list_notifications",
    "mark_failure",
    "mark_sent",
    "queue_notification",
    "release_claims",
    "retry_notification",
]

NOTIFICATION = Notification.__table__  # type: ignore[attr-defined]
#: A row in one of these states is sent when its ``next_attempt_at`` has come.
DUE_STATES: Final = (NotificationStatus.PENDING.value, NotificationStatus.FAILED.value)
#: States a person may send again (``loanwatch notifications retry``).
RETRYABLE_STATES: Final = (NotificationStatus.FAILED.value, NotificationStatus.DEAD.value)
#: The longest error text kept with a notification.
MAX_ERROR_CHARS: Final = 2_000
#: The longest text value of a context, in characters.
MAX_CONTEXT_TEXT: Final = 2_000
_STALE_ERROR: Final = ("the worker sending it stopped before recording the outcome: it may "
                       "or may not have been sent, so it is not sent again on its own")


@dataclass(frozen=True, slots=True)
class QueuedNotification:
    """A notification as stored (its address stays sealed in ``sent_to``)."""

    id: int
    key: str
    channel: str
    party_id: str
    template: str
    context: dict[str, Any]
    not_before: datetime
    status: str
    attempts: int
    next_attempt_at: datetime
    last_error: str | None
    provider_message_id: str | None
    sent_to: str | None
    claim_token: str | None
    claimed_at: datetime | None
    created_at: datetime
    updated_at: datetime
    sent_at: datetime | None


def _record(row: Any) -> QueuedNotification:
    values = {name: getattr(row, name)
              for name in QueuedNotification.__slots__}  # type: ignore[attr-defined]
    values["context"] = dict(values["context"] or {})
    return QueuedNotification(**values)


def _json_context(context: Mapping[str, object]) -> dict[str, Any]:
    """``context`` as JSON scalars: text, whole numbers, booleans, exact amounts (as text)
    and dates (ISO 8601)."""
    clean: dict[str, Any] = {}
    for name, value in context.items():
        if not isinstance(name, str) or not name.isidentifier():
            raise NotificationError(f"context key {name!r} is not a name")
        if isinstance(value, bool | int) or value is None:
            clean[name] = value
        elif isinstance(value, str):
            if len(value) > MAX_CONTEXT_TEXT:
                raise NotificationError(f"context value {name!r} is longer than "
                                        f"{MAX_CONTEXT_TEXT} characters")
            clean[name] = value
        elif isinstance(value, Decimal):
            if not value.is_finite():
                raise NotificationError(f"context value {name!r} is not a finite amount")
            clean[name] = str(value)
        elif isinstance(value, date):  # datetime is a date too
            clean[name] = value.isoformat()
        else:
            raise NotificationError(
                f"context value {name!r} is a {type(value).__name__}; give text, a whole "
                f"number, a boolean, a Decimal amount or a date",
                suggestion="money is a Decimal, never a float")
    return clean


def queue_notification(connection: Connection, *, key: str, channel: str, party_id: str,
                       template: str, context: Mapping[str, object], not_before: datetime,
                       now: datetime | None = None) -> bool:
    """Queue one notification inside ``connection``'s transaction.

    Args:
        key: the idempotency key (1 to 255 characters): a second call with it queues
            nothing, whatever its other arguments.
        channel: ``email``, ``sms``, ``chat`` or ``file``.
        party_id: the recipient's party id; its address is read when it is sent.
        template, context: the message (:mod:`notifications.templates`); the context holds
            JSON scalars, Decimal amounts or dates, and no personal data.
        not_before: not sent before this time (aware).
        now: when it is queued (defaults to ``not_before``).

    Returns:
        True when it was queued now, False when the key was queued before.

    Raises:
        NotificationError, TemplateError: an argument is malformed (nothing is written).
    """
    if not isinstance(key, str) or not 1 <= len(key) <= KEY_LENGTH:
        raise NotificationError(f"a notification key must be 1 to {KEY_LENGTH} characters, "
                                f"got {key!r:.80}")
    if channel not in {member.value for member in NotificationChannel}:
        raise NotificationError(f"unknown notification channel {channel!r}",
                                suggestion=f"use one of: "
                                           f"{', '.join(m.value for m in NotificationChannel)}")
    if not isinstance(party_id, str) or not 1 <= len(party_id) <= EXTERNAL_ID_LENGTH:
        raise NotificationError(f"notification {key!r}: the party id must be 1 to "
                                f"{EXTERNAL_ID_LENGTH} characters, got {party_id!r:.80}")
    if not_before.tzinfo is None:
        raise NotificationError(f"notification {key!r}: not_before has no time zone")
    clean = _json_context(context)
    check_context(template, clean)
    moment = not_before if now is None else now
    dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
    statement = dialect.insert(NOTIFICATION).values(
        key=key, channel=channel, party_id=party_id, template=template, context=clean,
        not_before=not_before, status=NotificationStatus.PENDING.value, attempts=0,
        next_attempt_at=not_before, created_at=moment, updated_at=moment,
    ).on_conflict_do_nothing(index_elements=["key"]).returning(NOTIFICATION.c.id)
    return connection.execute(statement).first() is not None


def get_notification(engine: Engine | Connection, notification_id: int) -> QueuedNotification:
    """The notification ``notification_id``.

    Raises:
        NotificationNotFound: there is none.
    """
    query = select(NOTIFICATION).where(NOTIFICATION.c.id == notification_id)
    if isinstance(engine, Connection):
        row = engine.execute(query).first()
    else:
        with engine.connect() as connection:
            row = connection.execute(query).first()
    if row is None:
        raise NotificationNotFound(notification_id)
    return _record(row)


def list_notifications(engine: Engine, *, status: str | None = None,
                       channel: str | None = None, party_id: str | None = None,
                       limit: int = 50, offset: int = 0) -> list[QueuedNotification]:
    """Notifications, newest first, of ``status``, ``channel`` and ``party_id`` when given.

    Raises:
        NotificationError: an unknown status or channel.
    """
    query = select(NOTIFICATION).order_by(NOTIFICATION.c.id.desc()).limit(limit).offset(offset)
    if status is not None:
        if status not in {member.value for member in NotificationStatus}:
            raise NotificationError(
                f"unknown notification status {status!r}",
                suggestion=f"use one of: {', '.join(m.value for m in NotificationStatus)}")
        query = query.where(NOTIFICATION.c.status == status)
    if channel is not None:
        if channel not in {member.value for member in NotificationChannel}:
            raise NotificationError(
                f"unknown notification channel {channel!r}",
                suggestion=f"use one of: {', '.join(m.value for m in NotificationChannel)}")
        query = query.where(NOTIFICATION.c.channel == channel)
    if party_id is not None:
        query = query.where(NOTIFICATION.c.party_id == party_id)
    with engine.connect() as connection:
        return [_record(row) for row in connection.execute(query).all()]


def claim_due(engine: Engine, *, now: datetime, limit: int,
              token: str) -> list[QueuedNotification]:
    """Claim at most ``limit`` due notifications (``pending`` or ``failed`` whose next
    attempt has come), oldest first, for the worker holding ``token``: each becomes
    ``sending`` with one more attempt, in a transaction committed before anything is sent.

    The claim is a conditional ``UPDATE`` (``FOR UPDATE SKIP LOCKED`` on PostgreSQL): a row
    another worker claims at the same moment is skipped, or found no longer due.
    """
    due = (select(NOTIFICATION.c.id)
           .where(NOTIFICATION.c.status.in_(DUE_STATES), NOTIFICATION.c.next_attempt_at <= now)
           .order_by(NOTIFICATION.c.next_attempt_at, NOTIFICATION.c.id).limit(limit)
           .with_for_update(skip_locked=True))
    with engine.begin() as connection:
        rows = connection.execute(
            update(NOTIFICATION)
            .where(NOTIFICATION.c.id.in_(due.scalar_subquery()),
                   NOTIFICATION.c.status.in_(DUE_STATES))
            .values(status=NotificationStatus.SENDING.value, claim_token=token,
                    claimed_at=now, attempts=NOTIFICATION.c.attempts + 1, updated_at=now)
            .returning(*NOTIFICATION.c)).all()
    return sorted((_record(row) for row in rows), key=lambda n: (n.next_attempt_at, n.id))


def _claimed(notification_id: int, token: str) -> Any:
    return ((NOTIFICATION.c.id == notification_id) & (NOTIFICATION.c.claim_token == token)
            & (NOTIFICATION.c.status == NotificationStatus.SENDING.value))


def mark_sent(engine: Engine, notification_id: int, token: str, *, now: datetime,
              provider_message_id: str | None, sent_to: str | None) -> bool:
    """Record that the claimed notification was sent (``sent_to`` already sealed); False
    when the claim was lost meanwhile (nothing is changed)."""
    with engine.begin() as connection:
        done = connection.execute(update(NOTIFICATION).where(
            _claimed(notification_id, token)).values(
            status=NotificationStatus.SENT.value, sent_at=now, updated_at=now,
            provider_message_id=provider_message_id, sent_to=sent_to, last_error=None,
            claim_token=None))
    return done.rowcount == 1


def mark_failure(engine: Engine, notification_id: int, token: str, *, now: datetime,
                 error: str, retry_at: datetime | None) -> bool:
    """Record a failed attempt of the claimed notification: ``failed`` and tried again at
    ``retry_at``, or ``dead`` when ``retry_at`` is ``None``; False when the claim was lost
    meanwhile."""
    values: dict[str, Any] = {"last_error": error[:MAX_ERROR_CHARS], "updated_at": now,
                              "claim_token": None}
    if retry_at is None:
        values["status"] = NotificationStatus.DEAD.value
    else:
        values.update(status=NotificationStatus.FAILED.value, next_attempt_at=retry_at)
    with engine.begin() as connection:
        done = connection.execute(update(NOTIFICATION).where(
            _claimed(notification_id, token)).values(**values))
    return done.rowcount == 1


def release_claims(engine: Engine, ids: list[int], token: str, *, now: datetime) -> int:
    """Hand back claimed notifications that were not attempted (a pass running out of
    time): ``pending`` again, the claim's attempt not counted. Returns how many."""
    if not ids:
        return 0
    with engine.begin() as connection:
        done = connection.execute(update(NOTIFICATION).where(
            NOTIFICATION.c.id.in_(ids), NOTIFICATION.c.claim_token == token,
            NOTIFICATION.c.status == NotificationStatus.SENDING.value).values(
            status=NotificationStatus.PENDING.value, attempts=NOTIFICATION.c.attempts - 1,
            claim_token=None, claimed_at=None, updated_at=now))
    return done.rowcount


def expire_stale_claims(engine: Engine, *, now: datetime, lease: timedelta) -> int:
    """Mark ``dead`` every notification claimed longer than ``lease`` ago and still
    ``sending``: its worker stopped mid-send, and whether the message left is unknown, so
    it is never sent again on its own (a person may retry it). Returns how many."""
    with engine.begin() as connection:
        done = connection.execute(update(NOTIFICATION).where(
            NOTIFICATION.c.status == NotificationStatus.SENDING.value,
            NOTIFICATION.c.claimed_at <= now - lease).values(
            status=NotificationStatus.DEAD.value, last_error=_STALE_ERROR, claim_token=None,
            updated_at=now))
    return done.rowcount


def retry_notification(engine: Engine, notification_id: int, *,
                       now: datetime) -> QueuedNotification:
    """Send a ``failed`` or ``dead`` notification again at the next delivery, with a fresh
    count of attempts (its last error is kept until the next attempt).

    Raises:
        NotificationNotFound: there is none with that id.
        NotificationNotRetryable: it is pending, being sent, or sent.
    """
    with engine.begin() as connection:
        row = connection.execute(
            update(NOTIFICATION).where(NOTIFICATION.c.id == notification_id,
                                       NOTIFICATION.c.status.in_(RETRYABLE_STATES))
            .values(status=NotificationStatus.PENDING.value, attempts=0, next_attempt_at=now,
                    updated_at=now, claim_token=None)
            .returning(*NOTIFICATION.c)).first()
        if row is None:
            current = get_notification(connection, notification_id)
            raise NotificationNotRetryable(
                f"notification {notification_id} is {current.status}: only a failed or dead "
                f"one can be sent again",
                suggestion="a pending one is sent at its next attempt; a sent one is done")
    return _record(row)
