"""Every SQL error of the embedded graph store, turned into one of Loanwatch's.

SQLAlchemy raises ``SQLAlchemyError`` and its subclasses, wrapping the driver's own error
(SQLite's or psycopg's) in ``orig``. :func:`translate` maps each to the error hierarchy, so
that no SQL exception, and no traceback, reaches a user: missing tables say how to create
them, a lost connection says the database is unavailable.
"""

from __future__ import annotations

from typing import Final

from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from graph.errors import GraphBackendError, GraphSchemaMissing
from loanwatch.errors import BackendUnavailable, LoanwatchError

__all__ = ["translate"]

#: PostgreSQL's SQLSTATE for "undefined table".
_UNDEFINED_TABLE: Final = "42P01"


def _missing_table(exc: SQLAlchemyError) -> bool:
    original = getattr(exc, "orig", None)
    if getattr(original, "sqlstate", None) == _UNDEFINED_TABLE:
        return True
    return "no such table" in str(original or exc)


def translate(exc: SQLAlchemyError, *, address: str) -> LoanwatchError:
    """The Loanwatch error for ``exc``, raised by the embedded store's database at
    ``address`` (a URL without its password)."""
    reason = (str(getattr(exc, "orig", None) or exc).strip().splitlines()
              or [type(exc).__name__])[0]
    if _missing_table(exc):
        return GraphSchemaMissing(
            f"the graph tables are missing from the database at {address}: {reason}",
            suggestion="run `loanwatch migrate`")
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return BackendUnavailable("the SQL database", address, reason)
    return GraphBackendError(f"the embedded graph store at {address} failed: {reason}")
