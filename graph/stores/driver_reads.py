"""Plain-SQL reads on a pooled DBAPI connection, for the embedded store's hot read paths.

A borrower 360° view makes a handful of small, index-backed reads (nodes by id, edges at
nodes). Through SQLAlchemy's ``Connection`` each one also pays for the connection and
transaction objects and the result wrapping, which measured (py-spy, ``benchmarks/api_load``)
at about as much as the reads themselves. These reads are plain SQL already, so here they
run on the pooled DBAPI connection directly; errors come out as SQLAlchemy's
:class:`~sqlalchemy.exc.DBAPIError` (a dropped connection invalidated, as SQLAlchemy would),
so the store's error translation reads them as before.

Example::

    with driver_reads(engine) as read:
        rows = read("SELECT id FROM graph_node WHERE id IN (?, ?)", ("P1", "P2"))
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError

__all__ = ["Read", "driver_reads"]

#: ``read(statement, params)``: every row of one statement in the driver's paramstyle.
Read = Callable[[str, tuple[Any, ...]], list[tuple[Any, ...]]]


@contextmanager
def driver_reads(engine: Engine) -> Iterator[Read]:
    """A reader over one connection checked out of ``engine``'s pool for the block."""
    dialect = engine.dialect
    dbapi_error = dialect.loaded_dbapi.Error
    raw = engine.raw_connection()
    cursor = raw.cursor()

    def read(statement: str, params: tuple[Any, ...]) -> list[tuple[Any, ...]]:
        try:
            cursor.execute(statement, params)
            return cursor.fetchall()
        except dbapi_error as exc:
            dropped = dialect.is_disconnect(exc, raw.dbapi_connection, cursor)
            if dropped:
                raw.invalidate(exc)
            raise DBAPIError.instance(statement, params, exc, dbapi_error,
                                      connection_invalidated=dropped,
                                      dialect=dialect) from exc

    try:
        yield read
    finally:
        if raw.is_valid:
            cursor.close()
        raw.close()  # back to the pool, which rolls the read's transaction back
