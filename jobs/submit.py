"""Submitting one unit of work now: created if new, enqueued if it is due and not done.

The scheduler enqueues units in batches as they fall due; a person or a service that wants
one unit run now (``loanwatch keys rotate --background``, a review asked for through the
API) calls :func:`submit_unit`. Submitting the same key again while it runs or after it is
done enqueues nothing: the key is the idempotency key. A failed unit is enqueued again.
"""

from __future__ import annotations

from datetime import datetime

import dramatiq
from sqlalchemy import Engine, update

from jobs.messages import send_unit
from jobs.units import UNIT, Unit, UnitSpec, get_unit, insert_units, unit_from_row

__all__ = ["submit_unit"]


def submit_unit(engine: Engine, broker: dramatiq.Broker, spec: UnitSpec, *,
                now: datetime) -> tuple[Unit, bool]:
    """Create ``spec``'s unit if new and, when it is due and ``pending`` or ``failed``,
    enqueue it; the claim commits only once the message is on the broker (a worker
    that gets the message first waits for the claim's row lock).

    Returns:
        The unit as it stands, and whether a message was sent.

    Raises:
        BackendUnavailable, redis.RedisError: the broker failed; the unit stays as it was.
    """
    # Committed before any message is sent: a worker must find the unit it is sent.
    with engine.begin() as connection:
        insert_units(connection, [spec], now=now)
    with engine.begin() as connection:
        claimed = None
        if spec.due_at <= now:
            claimed = connection.execute(
                update(UNIT).where(UNIT.c.key == spec.key,
                                   UNIT.c.state.in_(("pending", "failed")))
                .values(state="enqueued", enqueued_at=now, updated_at=now, finished_at=None)
                .returning(*UNIT.c)).first()
        if claimed is not None:
            unit = unit_from_row(claimed)
            send_unit(broker, unit)
            return unit, True
        unit = get_unit(connection, spec.key)
    assert unit is not None  # inserted above, or there already
    return unit, False
