"""Dramatiq's Redis broker, with a heartbeat that does not depend on fetching.

Redis remembers which worker fetched which message (its "ack set") and when each worker
last spoke (the heartbeats). A worker silent for ``heartbeat_timeout`` is taken for dead:
the next *maintenance* pass moves its unacknowledged messages back to their queues, so a
worker killed with SIGKILL loses nothing. Dramatiq 2.2 speaks only when it fetches, acks
or enqueues, and runs maintenance on a random 1 in 1,000 of those calls. That leaves two
gaps, closed here:

- a worker busy with long jobs (its prefetch full) stops fetching, so it stops speaking,
  and a short window would hand its messages to another worker while it still works on
  them; :class:`RedisHeartbeat` speaks for it every ``heartbeat_timeout / 4``;
- a dead worker's messages would come back after an unbounded, random delay;
  each heartbeat runs maintenance on every declared queue, so they come back within
  ``heartbeat_timeout`` plus one beat.

Both use the broker's own dispatch script (its ``qsize`` command, with maintenance asked
for), so the keys and their layout stay Dramatiq's.
"""

from __future__ import annotations

import logging
import threading
from typing import Any, Final

import redis
from dramatiq.broker import Broker
from dramatiq.brokers.redis import RedisBroker
from dramatiq.common import current_millis
from dramatiq.middleware import Middleware

__all__ = ["HEARTBEATS_PER_WINDOW", "LoanwatchRedisBroker", "RedisHeartbeat"]

#: Beats per heartbeat window: a worker is taken for dead only after missing several.
HEARTBEATS_PER_WINDOW: Final = 4

logger = logging.getLogger(__name__)


class LoanwatchRedisBroker(RedisBroker):
    """A :class:`RedisBroker` that can beat its heart and run maintenance on demand."""

    def beat(self) -> None:
        """Say this worker is alive, and move the unacknowledged messages of workers
        silent for ``heartbeat_timeout`` back to their queues (every declared queue).

        Raises:
            redis.RedisError: Redis did not answer.
        """
        dispatch = self.scripts["dispatch"]
        for queue_name in sorted(self.queues | self.delay_queues):
            dispatch(args=["qsize", current_millis(), queue_name, self.broker_id,
                           self.heartbeat_timeout, self.dead_message_ttl, 1,
                           self._max_unpack_size()], keys=[self.namespace])


class RedisHeartbeat(Middleware):
    """A thread per worker process that calls :meth:`LoanwatchRedisBroker.beat` every
    ``heartbeat_timeout / HEARTBEATS_PER_WINDOW`` while the worker runs."""

    def __init__(self) -> None:
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def after_worker_boot(self, broker: Broker, worker: Any) -> None:
        if not isinstance(broker, LoanwatchRedisBroker):
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, args=(broker,), daemon=True,
                                        name="loanwatch-redis-heartbeat")
        self._thread.start()

    def before_worker_shutdown(self, broker: Broker, worker: Any) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _run(self, broker: LoanwatchRedisBroker) -> None:
        interval = broker.heartbeat_timeout / 1000 / HEARTBEATS_PER_WINDOW
        while True:
            try:
                broker.beat()
            except redis.RedisError as exc:
                logger.warning("redis heartbeat failed: %s (retrying in %.1f s)", exc, interval)
            if self._stop.wait(interval):
                return
