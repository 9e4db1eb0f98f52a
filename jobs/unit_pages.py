"""Units of work listed a page at a time, for people watching the jobs (the API's
``jobUnits``): by key, narrowed by state and key prefix, each page starting after the last
key seen, so that units moving meanwhile shift nothing off a page."""

from __future__ import annotations

from sqlalchemy import Engine, select

from jobs.records import UNIT_STATES
from jobs.units import UNIT, Unit, unit_from_row

__all__ = ["list_units"]


def list_units(engine: Engine, *, state: str | None = None, prefix: str = "",
               after_key: str | None = None, limit: int = 50) -> list[Unit]:
    """Units by key: those in ``state``, whose key starts with ``prefix``, after
    ``after_key``; at most ``limit``.

    Raises:
        ValueError: an unknown state, or ``limit`` below 1.
    """
    if state is not None and state not in UNIT_STATES:
        raise ValueError(f"unknown unit state {state!r}; one of {', '.join(UNIT_STATES)}")
    if limit < 1:
        raise ValueError(f"limit must be at least 1, got {limit}")
    query = select(UNIT).order_by(UNIT.c.key).limit(limit)
    if state is not None:
        query = query.where(UNIT.c.state == state)
    if prefix:
        query = query.where(UNIT.c.key.startswith(prefix, autoescape=True))
    if after_key is not None:
        query = query.where(UNIT.c.key > after_key)
    with engine.connect() as connection:
        return [unit_from_row(row) for row in connection.execute(query).all()]
