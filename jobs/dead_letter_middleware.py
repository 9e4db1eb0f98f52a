"""The Dramatiq middleware that records every message a worker rejects for good.

A worker rejects ("nacks") a message when its retries are spent, when its error is not a
transient fault (:mod:`jobs.retry_policy`), when its age limit passed, or when no actor has
its name. Just before, this middleware writes it to the SQL dead-letter store with its
actor, arguments, idempotency key, error class and message, attempts and times, and marks
its unit ``failed`` (:func:`jobs.dead_letters.record_dead_letter`).

When the database cannot take it, the write is tried a few times; then the failure is
logged with the message, which stays in the broker's own dead-letter queue, and its unit
stays ``enqueued``, so the scheduler enqueues it again after ``stale_after_s`` and its
next failure is recorded.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any, Final

from dramatiq.broker import Broker, MessageProxy
from dramatiq.middleware import Middleware
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from jobs.dead_letters import DeadLetterEntry, millis_to_datetime, record_dead_letter
from jobs.messages import IDEMPOTENCY_KEY_OPTION
from jobs.runtime import utc_now

__all__ = ["DeadLetterRecorder"]

#: Seconds between attempts to record a dead letter while the database does not answer.
RECORD_RETRY_DELAYS_S: Final = (0.5, 1.0, 2.0)

logger = logging.getLogger(__name__)


class DeadLetterRecorder(Middleware):
    """Record rejected messages in ``engine``'s dead-letter store (module docstring)."""

    def __init__(self, engine: Engine, *, clock: Callable[[], datetime] = utc_now,
                 retry_delays_s: tuple[float, ...] = RECORD_RETRY_DELAYS_S) -> None:
        self.engine = engine
        self.clock = clock
        self.retry_delays_s = retry_delays_s

    def before_nack(self, broker: Broker, message: MessageProxy) -> None:
        # The worker stuffs the exception into the proxy before it rejects the message
        # (MessageProxy.stuff_exception); Dramatiq has no public reader for it.
        error: BaseException | None = getattr(message, "_exception", None)
        entry = DeadLetterEntry(
            message_id=message.message_id, queue_name=_canonical(message.queue_name),
            actor_name=message.actor_name, args=tuple(message.args),
            kwargs=dict(message.kwargs),
            idempotency_key=message.options.get(IDEMPOTENCY_KEY_OPTION),
            error_class=type(error).__name__ if error is not None else "UnknownError",
            error_message=str(error) if error is not None else "rejected with no error",
            attempts=int(message.options.get("retries", 0) or 0),
            enqueued_at=millis_to_datetime(message.message_timestamp), failed_at=self.clock())
        for delay in (*self.retry_delays_s, None):
            try:
                record_dead_letter(self.engine, entry)
            except SQLAlchemyError as exc:
                if delay is None:
                    logger.error("could not record dead letter %s (%s) in the database: %s",
                                 entry.message_id, entry.actor_name, exc,
                                 extra={"fields": _fields(entry)})
                    return
                time.sleep(delay)
            else:
                logger.warning("dead letter: %s %s failed for good: %s: %s",
                               entry.actor_name, entry.message_id, entry.error_class,
                               entry.error_message, extra={"fields": _fields(entry)})
                return


def _canonical(queue_name: str) -> str:
    return queue_name[:-3] if queue_name.endswith(".DQ") else queue_name


def _fields(entry: DeadLetterEntry) -> dict[str, Any]:
    return {"message_id": entry.message_id, "actor": entry.actor_name,
            "idempotency_key": entry.idempotency_key, "error_class": entry.error_class,
            "attempts": entry.attempts}
