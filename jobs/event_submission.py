"""Submitting the flow of a recorded event: what the API calls once a record is committed.

:class:`EventFlowSubmitter` turns a row recorded through the API into the unit of work of
its flow (:func:`jobs.actors.event_flow.flow_unit`) and submits it: enqueued at once on the
broker when the process has one (the in-process broker of ``loanwatch serve`` without a
broker URL, or Redis), else left ``pending`` for the scheduler. The unit is committed before
its message is sent, so a broker that fails loses nothing: the scheduler enqueues the unit
at its next look. Submitting the same event again enqueues nothing new.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

import dramatiq
from redis.exceptions import RedisError
from sqlalchemy import Engine

from jobs.actors.event_flow import flow_unit
from jobs.runtime import utc_now
from jobs.submit import submit_unit
from jobs.units import Unit, add_units, get_unit
from loanwatch.errors import BackendUnavailable
from risk.flow.events import FLOW_ENTITIES, flow_event

__all__ = ["EventFlowSubmitter"]

logger = logging.getLogger(__name__)


class EventFlowSubmitter:
    """Submits the flow of recorded events (module docstring).

    Args:
        engine: the SQL database of the units (the records' database).
        broker: where to enqueue at once; ``None``: the scheduler enqueues.
        clock: now, aware, in UTC.
    """

    def __init__(self, engine: Engine, broker: dramatiq.Broker | None, *,
                 clock: Callable[[], datetime] = utc_now) -> None:
        self.engine = engine
        self.broker = broker
        self.clock = clock

    def __repr__(self) -> str:
        return f"EventFlowSubmitter(broker={type(self.broker).__name__})"

    def submit(self, entity: str, event_id: str, values: Mapping[str, Any]) -> Unit | None:
        """Submit the flow of ``values`` recorded as ``entity`` under ``event_id``; the unit
        as it stands, or ``None`` for an entity that starts no flow.

        Raises:
            RiskError: the recorded values lack what the flow needs (a bug).
            SQLAlchemyError: the database failed (the unit was not created).
        """
        if entity not in FLOW_ENTITIES:
            return None
        now = self.clock()
        spec = flow_unit(flow_event(entity, event_id, values), now=now)
        if self.broker is not None:
            try:
                return submit_unit(self.engine, self.broker, spec, now=now)[0]
            except (BackendUnavailable, RedisError) as exc:
                logger.warning("the flow of %s stays pending for the scheduler: the broker "
                               "failed (%s)", spec.key, exc,
                               extra={"fields": {"unit": spec.key}})
                return get_unit(self.engine, spec.key)
        add_units(self.engine, [spec], now=now)
        return get_unit(self.engine, spec.key)
