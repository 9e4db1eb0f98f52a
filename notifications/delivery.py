"""Delivering due notifications: claim, resolve the address, render, send, record.

One pass (:func:`deliver_due`):

1. marks ``dead`` the notifications a worker claimed longer than the lease ago and never
   finished (it stopped mid-send; whether the message left is unknown, so it is not sent
   again on its own: :func:`notifications.outbox.expire_stale_claims`);
2. claims due notifications in batches (a claim commits before anything is sent, so two
   workers never send one notification), reads the contacts of the batch's parties from
   the graph at once (three store reads a batch, not three a message), and for each:
   renders its template, hands it to its channel, and records ``sent`` (with the
   provider's id and the address, sealed) or the failure: a permanent one (no address, a
   refused recipient, an unknown channel) is ``dead`` at once; a transient one is
   ``failed`` and tried again after an exponential backoff, ``dead`` once it has had
   ``max_attempts`` attempts.

A pass claims no new batch once ``pass_budget_s`` has passed, and hands back (``pending``,
the attempt not counted) what it claimed but has not tried once half the sending lease has
passed, so a slow channel never makes a live claim look like a stopped worker's.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

from sqlalchemy import Engine

from graph.vault import PersonalDataVault
from notifications.channels.base import Channel, OutgoingMessage
from notifications.contacts import Contact, ContactBook, address_for, unknown_party
from notifications.errors import ChannelError, NotificationError
from notifications.outbox import (
    QueuedNotification,
    claim_due,
    expire_stale_claims,
    mark_failure,
    mark_sent,
    release_claims,
)
from notifications.templates import render
from portfolio.notifications import SENT_TO_FIELD

__all__ = [
    "DEFAULT_BATCH",
    "DEFAULT_MAX_ATTEMPTS",
    "DEFAULT_RETRY_BASE_S",
    "DEFAULT_RETRY_MAX_S",
    "DEFAULT_SENDING_LEASE_S",
    "DeliveryPolicy",
    "DeliveryReport",
    "deliver_due",
]

logger = logging.getLogger(__name__)

#: Attempts before a notification is dead.
DEFAULT_MAX_ATTEMPTS: Final = 5
#: The first retry waits this long, each next one twice as long, never more than the
#: maximum (seconds).
DEFAULT_RETRY_BASE_S: Final = 60.0
DEFAULT_RETRY_MAX_S: Final = 3_600.0
#: Notifications claimed per transaction.
DEFAULT_BATCH: Final = 100
#: A claim older than this, still ``sending``, belongs to a worker that stopped (seconds).
DEFAULT_SENDING_LEASE_S: Final = 600.0
#: A pass claims no new batch after this long (seconds): well inside a job's time limit
#: (``LOANWATCH_JOB_TIME_LIMIT_S``, 600 by default); the next tick goes on.
DEFAULT_PASS_BUDGET_S: Final = 240.0


@dataclass(frozen=True, slots=True)
class DeliveryPolicy:
    """How often and how soon a notification is tried again, and the claims' sizes."""

    max_attempts: int = DEFAULT_MAX_ATTEMPTS
    retry_base_s: float = DEFAULT_RETRY_BASE_S
    retry_max_s: float = DEFAULT_RETRY_MAX_S
    batch: int = DEFAULT_BATCH
    sending_lease_s: float = DEFAULT_SENDING_LEASE_S
    pass_budget_s: float = DEFAULT_PASS_BUDGET_S

    def __post_init__(self) -> None:
        if self.max_attempts < 1 or self.batch < 1:
            raise ValueError("max_attempts and batch must be at least 1")
        if self.retry_base_s <= 0 or self.retry_max_s < self.retry_base_s:
            raise ValueError("the retry delays must be positive, the maximum at least the "
                             "base")
        if self.sending_lease_s <= 0 or self.pass_budget_s <= 0:
            raise ValueError("the sending lease and the pass budget must be positive")

    def retry_delay(self, attempts: int) -> timedelta:
        """The wait after the ``attempts``-th failed attempt (1, 2, ...)."""
        seconds = min(self.retry_base_s * 2 ** min(attempts - 1, 32), self.retry_max_s)
        return timedelta(seconds=seconds)


@dataclass(frozen=True, slots=True)
class DeliveryReport:
    """What one pass did."""

    sent: int = 0
    retrying: int = 0
    dead: int = 0
    expired: int = 0

    def __add__(self, other: DeliveryReport) -> DeliveryReport:
        return DeliveryReport(self.sent + other.sent, self.retrying + other.retrying,
                              self.dead + other.dead, self.expired + other.expired)


def deliver_due(engine: Engine, channels: Mapping[str, Channel], contacts: ContactBook, *,
                vault: PersonalDataVault | None, clock: Callable[[], datetime],
                policy: DeliveryPolicy = DeliveryPolicy()) -> DeliveryReport:
    """Deliver every notification due now (module docstring).

    Args:
        engine: the SQL engine of the outbox.
        channels: the adapters, by channel name; a notification of a channel missing here
            is dead ("not configured").
        contacts: where the parties' names and addresses are read.
        vault: seals the address each message went to; without one it is not kept.
        clock: now, aware.
    """
    started = clock()
    report = DeliveryReport(expired=expire_stale_claims(
        engine, now=started, lease=timedelta(seconds=policy.sending_lease_s)))
    token = secrets.token_hex(16)
    # A claimed batch is handed back once half the lease has passed: a claim is never old
    # enough to be taken for a stopped worker's while this one still works on it.
    hold = timedelta(seconds=policy.sending_lease_s / 2)
    budget = timedelta(seconds=policy.pass_budget_s)
    while clock() - started < budget:
        claimed_at = clock()
        claimed = claim_due(engine, now=claimed_at, limit=policy.batch, token=token)
        book = _read_contacts(contacts, claimed)
        for position, notification in enumerate(claimed):
            if clock() - claimed_at >= hold:
                rest = [later.id for later in claimed[position:]]
                release_claims(engine, rest, token, now=clock())
                logger.info("notifications: %d claimed ones handed back unsent (the pass "
                            "ran long); the next pass sends them", len(rest))
                return report
            report += _deliver_one(engine, notification, token, channels, book,
                                   vault=vault, clock=clock, policy=policy)
        if len(claimed) < policy.batch:
            return report
    return report


def _read_contacts(contacts: ContactBook, claimed: Sequence[QueuedNotification]
                   ) -> Mapping[str, Contact] | Exception:
    """The contact details of a claimed batch's parties, in one read of the graph; or the
    error that read raised, which each message of the batch then records as its failure
    (retried as any failure is)."""
    try:
        return contacts.contacts([notification.party_id for notification in claimed])
    except Exception as exc:  # recorded on every notification of the batch, never lost
        return exc


def _deliver_one(engine: Engine, notification: QueuedNotification, token: str,
                 channels: Mapping[str, Channel], book: Mapping[str, Contact] | Exception, *,
                 vault: PersonalDataVault | None, clock: Callable[[], datetime],
                 policy: DeliveryPolicy) -> DeliveryReport:
    try:
        channel = channels.get(notification.channel)
        if channel is None:
            raise ChannelError(f"the {notification.channel} channel is not configured",
                               permanent=True)
        if isinstance(book, Exception):
            raise book
        contact = book.get(notification.party_id)
        if contact is None:
            raise unknown_party(notification.party_id)
        to = address_for(contact, notification.channel)
        if to is None and channel.needs_address:
            raise ChannelError(f"party {notification.party_id} has no address for "
                               f"{notification.channel}", permanent=True)
        text = render(notification.template, {
            **notification.context, "party_name": contact.name or notification.party_id})
        provider_id = channel.send(OutgoingMessage(
            key=notification.key, channel=notification.channel,
            party_id=notification.party_id, to=to, subject=text.subject, body=text.body))
    except Exception as exc:  # every failure is recorded on the row, never lost
        permanent = (exc.permanent if isinstance(exc, ChannelError)
                     else isinstance(exc, NotificationError))
        error = f"{type(exc).__name__}: {exc}"
        dead = permanent or notification.attempts >= policy.max_attempts
        now = clock()
        retry_at = None if dead else now + policy.retry_delay(notification.attempts)
        logger.warning("notification %s (%s): attempt %d failed%s: %s", notification.id,
                       notification.key, notification.attempts,
                       ", given up" if dead else "", error,
                       extra={"fields": {"notification": notification.id,
                                         "channel": notification.channel}})
        mark_failure(engine, notification.id, token, now=now, error=error, retry_at=retry_at)
        return DeliveryReport(dead=1) if dead else DeliveryReport(retrying=1)
    sealed = None if to is None or vault is None else vault.seal_text(SENT_TO_FIELD, to)
    if not mark_sent(engine, notification.id, token, now=clock(),
                     provider_message_id=provider_id, sent_to=sealed):
        logger.warning("notification %s was sent but its claim had expired; it stays as "
                       "recorded", notification.id)
    return DeliveryReport(sent=1)
