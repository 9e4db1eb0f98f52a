"""The daily collections run as a job: one unit per day.

Every day at :data:`RUN_AT` (UTC) the schedule ``collections.daily`` fires one unit (a day
missed during an outage fires once, for the latest tick) whose job, :func:`collections_day`,
runs :func:`risk.collections.run.run_collections` as of the business date
(:mod:`jobs.business_dates`). The run commits each day in a transaction of its own,
starting with its ``collection_run`` row, unique on the date, and catches up the days
missed since the latest run, each in its own transaction; so the job is **not atomic**
with its unit: it runs, then the unit is marked done. A run delivered twice, or started
again after a worker died, finds the days already run and changes nothing; a crash
mid-day commits nothing of that day. Case transitions go to the worker's audit trail. A
date before any loan was disbursed (an empty database) runs nothing and is done.

Once the day is run, the collections strategies' daily step runs for the same date
(:func:`risk.collections.strategy_step.run_strategy_step`: assign new cases, follow up
promises to pay, execute the due actions), its messages queued in the notification outbox
(:mod:`jobs.collection_messages`). The step may run any number of times a day: a message
is dispatched once, under a conditional update of its action.
"""

from __future__ import annotations

import logging
from datetime import datetime
from pathlib import Path
from typing import Final

from jobs.business_dates import business_date
from jobs.catalog import JobSpec
from jobs.collection_messages import StrategyOutbox
from jobs.errors import JobPayloadError
from jobs.runtime import JobContext, JobRuntime
from jobs.schedules import ScheduleSpec
from risk.classification.book import first_disbursement
from risk.collections.config import DEFAULT_COLLECTIONS, CollectionsConfig
from risk.collections.config_file import load_collections_config
from risk.collections.run import run_collections
from risk.collections.strategy_config import DEFAULT_STRATEGIES, StrategyConfig
from risk.collections.strategy_file import load_strategy_config
from risk.collections.strategy_step import run_strategy_step

__all__ = ["COLLECTIONS_CONFIG", "COLLECTIONS_DAY", "COLLECTIONS_QUEUE", "JOBS", "SCHEDULES",
           "STRATEGIES_FILE"]

COLLECTIONS_DAY: Final = "collections_day"
COLLECTIONS_QUEUE: Final = "collections"
#: The runtime value naming the collections settings file (``None``: the defaults).
COLLECTIONS_CONFIG: Final = "collections_config"
#: The runtime value naming the collections strategies file (``None``: the built-in ones).
STRATEGIES_FILE: Final = "collections_strategies"
#: The run's first tick (00:30 UTC, before the reviews' plan), then every day.
RUN_AT: Final = datetime.fromisoformat("2026-01-01T00:30:00+00:00")
DAY_S: Final = 86_400
#: A catch-up of many days over a large book takes a while (seconds).
RUN_TIME_LIMIT_S: Final = 3_600.0
#: Who the run rows name as having started the run.
SCHEDULER_ACTOR: Final = "scheduler"

logger = logging.getLogger(__name__)


def _config(runtime: JobRuntime) -> CollectionsConfig:
    path = runtime.values.get(COLLECTIONS_CONFIG)
    return DEFAULT_COLLECTIONS if not path else load_collections_config(Path(path))


def _strategies(runtime: JobRuntime) -> StrategyConfig:
    path = runtime.values.get(STRATEGIES_FILE)
    return DEFAULT_STRATEGIES if not path else load_strategy_config(Path(path))


def collections_day(context: JobContext, tick: str) -> None:
    """Run the collections day of the business date of ``tick`` (module docstring).

    Raises:
        JobPayloadError: the tick is malformed, or the worker has no audit trail.
        RunOutOfOrder, CollectionsError: dead-lettered with their message.
    """
    runtime = context.runtime
    as_of = business_date(runtime.values, tick)
    first = first_disbursement(runtime.engine)
    if first is None or as_of < first:
        # Nothing disbursed by the date (an empty database, a date before the data): no loan
        # to bucket; the first run with loans starts the history.
        logger.info("collections run of %s: no loan was disbursed by then; nothing to run",
                    as_of, extra={"fields": {"as_of": as_of.isoformat()}})
        return
    if runtime.audit is None:
        raise JobPayloadError(f"{COLLECTIONS_DAY}: this worker has no audit trail for the "
                              "case transitions")
    config = runtime.shared("collections.config", lambda: _config(runtime))
    run_collections(runtime.engine, as_of, audit=runtime.audit, config=config,
                    actor=SCHEDULER_ACTOR, client_id="jobs", now=runtime.clock,
                    feed=runtime.case_feed)
    strategies = runtime.shared("collections.strategies", lambda: _strategies(runtime))
    step = run_strategy_step(runtime.engine, as_of, config=strategies,
                             dispatcher=StrategyOutbox(), audit=runtime.audit,
                             client_id="jobs", now=runtime.clock)
    logger.info("collections strategies of %s: %s", as_of, step.as_json(),
                extra={"fields": {"as_of": as_of.isoformat()}})


JOBS: Final = (JobSpec(COLLECTIONS_DAY, COLLECTIONS_QUEUE, collections_day, atomic=False,
                       time_limit_s=RUN_TIME_LIMIT_S),)
SCHEDULES: Final = (
    ScheduleSpec(name="collections.daily", actor_name=COLLECTIONS_DAY,
                 queue_name=COLLECTIONS_QUEUE, interval_s=DAY_S, first_due_at=RUN_AT),
)
