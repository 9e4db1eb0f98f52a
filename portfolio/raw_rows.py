"""Rows as the database driver returns them, for reads of a whole book where SQLAlchemy's
per-row processing costs as much as the query (100,000 loans a day in the collections run).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Connection

__all__ = ["as_date", "raw_rows"]


def raw_rows(connection: Connection, statement: Any) -> list[tuple[Any, ...]]:
    """The driver's own tuples of ``statement``; dates arrive as the driver gives them
    (text from SQLite, ``date`` from PostgreSQL): see :func:`as_date`."""
    result = connection.execute(statement)
    try:
        return list(result.cursor.fetchall())
    finally:
        result.close()


def as_date(value: date | str) -> date:
    """A date column's value from :func:`raw_rows`, as a ``date``."""
    return value if isinstance(value, date) else date.fromisoformat(value)
