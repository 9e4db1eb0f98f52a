"""How the job machinery runs: plain values the entry points take from the settings.

Nothing below the entry points reads ``Settings``: ``loanwatch worker``, ``loanwatch
scheduler``, the in-process jobs of ``make demo`` and the CLI build a :class:`JobOptions`
from theirs (:func:`loanwatch.cli.job_wiring.job_options`) and hand it down.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

__all__ = ["JobOptions"]

_MS: Final = 1_000


@dataclass(frozen=True, slots=True)
class JobOptions:
    """The broker and its middleware, the retries and limits, the scheduler's rhythm.

    Attributes:
        broker_url: ``redis://``, ``amqp://``, or ``None`` for the in-process broker.
        heartbeat_timeout_s: a worker silent this long is taken for dead (Redis): its
            unacknowledged messages go back to their queues.
        dead_message_ttl_s: how long the broker keeps a dead-lettered message.
        max_retries, retry_min_backoff_s, retry_max_backoff_s: transient faults only.
        time_limit_s: a job running longer is interrupted (and dead-lettered).
        max_age_s: a message waiting longer than this is dead-lettered unrun.
        scheduler_interval_s, scheduler_batch, stale_after_s: see :mod:`jobs.scheduler`.
    """

    broker_url: str | None = None
    heartbeat_timeout_s: float = 60.0
    dead_message_ttl_s: float = 7 * 86_400.0
    max_retries: int = 10
    retry_min_backoff_s: float = 15.0
    retry_max_backoff_s: float = 3_600.0
    time_limit_s: float = 600.0
    max_age_s: float = 86_400.0
    scheduler_interval_s: float = 5.0
    scheduler_batch: int = 1_000
    stale_after_s: float = 3_600.0

    @property
    def heartbeat_timeout_ms(self) -> int:
        return round(self.heartbeat_timeout_s * _MS)

    @property
    def dead_message_ttl_ms(self) -> int:
        return round(self.dead_message_ttl_s * _MS)

    @property
    def retry_min_backoff_ms(self) -> int:
        return max(1, round(self.retry_min_backoff_s * _MS))

    @property
    def retry_max_backoff_ms(self) -> int:
        return max(self.retry_min_backoff_ms, round(self.retry_max_backoff_s * _MS))

    @property
    def time_limit_ms(self) -> int:
        return round(self.time_limit_s * _MS)

    @property
    def max_age_ms(self) -> int:
        return round(self.max_age_s * _MS)
