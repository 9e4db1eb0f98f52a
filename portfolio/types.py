"""Column types that behave the same on SQLite and PostgreSQL.

``DateTime(timezone=True)`` keeps the offset on PostgreSQL (``timestamptz``) but SQLite has
no date type: SQLAlchemy stores the text without an offset and hands back a naive
``datetime``, so the same record reads as aware on one engine and naive on the other.
:class:`UtcDateTime` stores every timestamp in UTC and returns it aware, on both.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, Dialect
from sqlalchemy.types import TypeDecorator

__all__ = ["UtcDateTime"]


class UtcDateTime(TypeDecorator[datetime]):
    """A timestamp stored in UTC and read back as an aware ``datetime`` in UTC.

    Naive values are refused when written (their zone is unknown): pass
    ``datetime.now(UTC)``, not ``datetime.now()``.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if not isinstance(value, datetime):
            raise TypeError(f"expected a datetime, got {type(value).__name__}")
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value.isoformat()} has no time zone; "
                             "give an aware datetime (for example datetime.now(UTC))")
        utc = value.astimezone(UTC)
        # SQLite keeps text without an offset: store the UTC wall time.
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)  # type: ignore[no-any-return]
