"""The job machinery's wiring from the settings: options, runtime, broker.

Entry points only (``loanwatch worker``, ``scheduler``, ``jobs``, ``keys rotate
--background``, ``serve``): they read ``Settings`` and hand plain values and stores down
to :mod:`jobs`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import dramatiq
from sqlalchemy import Engine

from auth.audit_events import AuditSink
from graph.store import GraphStore
from jobs.actors.notifications import CONFIG_VALUE as NOTIFICATIONS_VALUE
from jobs.broker import build_broker
from jobs.catalog import load_jobs, load_schedules
from jobs.in_process import InProcessJobs, start_in_process_jobs
from jobs.options import JobOptions
from jobs.runtime import JobRuntime
from loanwatch.cli.notification_wiring import notification_config
from loanwatch.settings import Settings
from loanwatch.wiring import (
    create_engine_from_settings,
    open_audit_trail,
    open_graph_store,
    open_vault,
)
from risk.alerts.feed import AlertFeed, feed_for_broker
from risk.collections.feed import CaseFeed, case_feed_for_broker

__all__ = ["job_options", "job_values", "make_runtime", "open_broker",
           "start_jobs_in_process"]


def job_options(settings: Settings) -> JobOptions:
    """The job options ``settings`` say."""
    return JobOptions(
        broker_url=settings.broker_url_value,
        heartbeat_timeout_s=settings.broker_heartbeat_timeout_s,
        dead_message_ttl_s=settings.broker_dead_message_ttl_s,
        max_retries=settings.job_max_retries,
        retry_min_backoff_s=settings.job_retry_min_backoff_s,
        retry_max_backoff_s=settings.job_retry_max_backoff_s,
        time_limit_s=settings.job_time_limit_s,
        max_age_s=settings.job_max_age_s,
        scheduler_interval_s=settings.scheduler_interval_s,
        scheduler_batch=settings.scheduler_batch,
        stale_after_s=settings.job_stale_after_s,
    )


def job_values(settings: Settings) -> dict[str, Any]:
    """The plain values the job modules read from their runtime (named by them)."""
    # Imported here: the actor modules import the risk core, which commands that only
    # enqueue or list (`loanwatch jobs`) never need.
    from jobs.actors.collections import COLLECTIONS_CONFIG, STRATEGIES_FILE
    from jobs.actors.housekeeping import RETENTION_DAYS
    from jobs.actors.reviews import REVIEW_BATCH_SIZE, REVIEW_POLICY_FILE
    from jobs.business_dates import JOBS_AS_OF

    def path(value: Path | None) -> str | None:
        return None if value is None else str(value)

    return {REVIEW_POLICY_FILE: path(settings.review_policy_file),
            REVIEW_BATCH_SIZE: settings.review_batch,
            COLLECTIONS_CONFIG: path(settings.collections_config),
            STRATEGIES_FILE: path(settings.collections_strategies),
            JOBS_AS_OF: None if settings.jobs_as_of is None else settings.jobs_as_of.isoformat(),
            NOTIFICATIONS_VALUE: notification_config(settings),
            RETENTION_DAYS: settings.job_unit_retention_days, **settings.flow_values}


def open_broker(settings: Settings) -> dramatiq.Broker | None:
    """The broker to enqueue on from a command, or ``None`` without a broker URL (jobs
    then run in the process that serves the API, whose scheduler picks up what the
    command leaves ``pending`` in the database).

    Raises:
        ConfigurationError, BackendUnavailable: the URL is wrong or unreachable.
    """
    options = job_options(settings)
    if options.broker_url is None:
        return None
    return build_broker(options.broker_url, options)


def make_runtime(settings: Settings, broker: dramatiq.Broker,
                 engine: Engine | None = None) -> JobRuntime:
    """A worker's runtime: ``engine`` (or a new one, migrated), the graph store opened on
    first use, the personal-data vault.

    Raises:
        BackendUnavailable: the database cannot be reached.
        ConfigurationError: a key is missing (production) or malformed.
    """
    vault = open_vault(settings)
    engine = engine if engine is not None else create_engine_from_settings(settings)
    owned = engine
    # Closed at interpreter exit: a worker stopped by SIGTERM writes every accepted event.
    trail = open_audit_trail(settings, engine)
    return JobRuntime(engine=engine, broker=broker,
                      open_graph=lambda: open_graph_store(settings, owned), vault=vault,
                      values=job_values(settings), audit=trail,
                      alert_feed=feed_for_broker(settings.broker_url_value),
                      case_feed=case_feed_for_broker(settings.broker_url_value))


def start_jobs_in_process(settings: Settings, engine: Engine, graph: GraphStore, *,
                          audit: AuditSink | None = None, threads: int = 2,
                          alert_feed: AlertFeed | None = None,
                          case_feed: CaseFeed | None = None) -> InProcessJobs:
    """The jobs of a process with no broker URL (``loanwatch serve``, ``loanwatch demo``):
    the in-process broker, worker threads and the scheduler thread, on the stores and the
    audit trail the process already has (:mod:`jobs.in_process`): the daily reviews and
    collections run on their own, and alert and case changes are announced on ``alert_feed``
    and ``case_feed`` (the
    API's). Stop them with ``.stop()``."""
    options = job_options(settings)
    broker = build_broker(None, options)
    runtime = JobRuntime(engine=engine, broker=broker, open_graph=lambda: graph,
                         vault=open_vault(settings), owns_graph=False,
                         values=job_values(settings), audit=audit, alert_feed=alert_feed,
                         case_feed=case_feed)
    return start_in_process_jobs(runtime, load_jobs(), load_schedules(), options,
                                 threads=threads)
