"""Delivering the notification outbox as a job: every 30 seconds a unit (one per tick)
runs one delivery pass (:func:`notifications.delivery.deliver_due`).

The pass is not atomic with its unit: it claims, sends and records notification by
notification, each in transactions of its own, so its unit is marked done after. A second
delivery of the same tick, or two ticks running at once on two workers, send nothing twice:
each notification is claimed before it is sent. The worker's channels and delivery policy
are :class:`notifications.config.NotificationConfig`, in the runtime's values under
:data:`CONFIG_VALUE` (the entry points put it there from the ``LOANWATCH_NOTIFY_*``
settings).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Final

from jobs.catalog import JobSpec
from jobs.errors import JobPayloadError
from jobs.runtime import JobContext
from jobs.schedules import ScheduleSpec
from notifications.config import NotificationConfig, open_channels
from notifications.contacts import GraphContacts
from notifications.delivery import deliver_due

__all__ = ["CONFIG_VALUE", "DELIVER_NOTIFICATIONS", "JOBS", "NOTIFICATIONS_QUEUE", "SCHEDULES"]

logger = logging.getLogger(__name__)

DELIVER_NOTIFICATIONS: Final = "deliver_notifications"
NOTIFICATIONS_QUEUE: Final = "notifications"
#: The runtime value that holds the worker's :class:`NotificationConfig`.
CONFIG_VALUE: Final = "notifications"
#: How often the outbox is emptied (seconds): a reminder leaves within half a minute.
DELIVERY_INTERVAL_S: Final = 30
#: The first tick of the schedule (ticks follow every interval after it).
_FIRST_TICK: Final = datetime(2026, 1, 1, tzinfo=UTC)


def deliver_notifications(context: JobContext, *tick: object) -> None:
    """One delivery pass (``tick``: the schedule's tick, ISO 8601, when it fired one)."""
    if len(tick) > 1 or any(not isinstance(value, str) for value in tick):
        raise JobPayloadError(f"{DELIVER_NOTIFICATIONS}: expected at most one tick (text), "
                              f"got {list(tick)!r:.200}")
    runtime = context.runtime
    config = runtime.values.get(CONFIG_VALUE)
    if not isinstance(config, NotificationConfig):
        raise JobPayloadError(f"{DELIVER_NOTIFICATIONS}: this worker has no notification "
                              f"settings (runtime value {CONFIG_VALUE!r})")
    with open_channels(config.channels) as channels:
        report = deliver_due(runtime.engine, channels, GraphContacts(runtime.graph()),
                             vault=runtime.vault, clock=runtime.clock, policy=config.policy)
    if report.sent or report.retrying or report.dead or report.expired:
        logger.info("notifications: %d sent, %d to retry, %d dead, %d claims expired",
                    report.sent, report.retrying, report.dead, report.expired,
                    extra={"fields": {"unit": context.key, "sent": report.sent,
                                      "retrying": report.retrying, "dead": report.dead,
                                      "expired": report.expired}})


JOBS: Final = (JobSpec(DELIVER_NOTIFICATIONS, NOTIFICATIONS_QUEUE, deliver_notifications,
                       atomic=False),)
SCHEDULES: Final = (ScheduleSpec("notifications.deliver", DELIVER_NOTIFICATIONS,
                                 NOTIFICATIONS_QUEUE, interval_s=DELIVERY_INTERVAL_S,
                                 first_due_at=_FIRST_TICK),)
