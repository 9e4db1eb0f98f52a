"""Every error of the Neo4j driver, turned into one of Loanwatch's.

The driver raises two families: ``Neo4jError`` (the server answered with a failure code:
``ClientError``, ``TransientError``, ``DatabaseError`` and their subclasses) and
``DriverError`` (no usable answer: ``ServiceUnavailable``, ``SessionExpired``, pool and
configuration errors). :func:`translate` maps each to the error hierarchy, so that no
driver exception, and no traceback, reaches a user.
"""

from __future__ import annotations

from typing import Final

from neo4j.exceptions import (
    AuthError,
    ConnectionPoolError,
    ConstraintError,
    DatabaseError,
    DriverError,
    IncompleteCommit,
    Neo4jError,
    ServiceUnavailable,
    SessionExpired,
    TransientError,
)

from graph.errors import GraphBackendError, TransientGraphError
from loanwatch.errors import BackendUnavailable, LoanwatchError

__all__ = ["DRIVER_ERRORS", "READ_ATTEMPTS", "READ_RETRY_PAUSE_S", "read_retry_pause",
           "translate"]

#: What :func:`translate` accepts: everything the driver (or its socket) raises.
DRIVER_ERRORS = (Neo4jError, DriverError, OSError)

_DATABASE_NOT_FOUND = "Neo.ClientError.Database.DatabaseNotFound"

#: How many times a read-only statement runs after transient failures (a connection the
#: server closed, a leader switch), and the pause before the second run, growing linearly.
READ_ATTEMPTS: Final = 3
READ_RETRY_PAUSE_S: Final = 0.2


def read_retry_pause(exc: BaseException, attempt: int) -> float | None:
    """Seconds to wait before running a read-only statement again after ``exc`` ended its
    ``attempt``-th run (from 1); ``None``: raise ``exc`` (not transient, or the last try).

    A read-only auto-commit statement is safe to run again; the driver's managed
    transactions would do the same for a transaction function.
    """
    retryable = isinstance(exc, Neo4jError | DriverError) and exc.is_retryable()
    return READ_RETRY_PAUSE_S * attempt if retryable and attempt < READ_ATTEMPTS else None


def _first_line(exc: BaseException) -> str:
    # A server failure's text is its ``message``; a driver error's is its ``str`` (its
    # ``message`` is a generic GQL status description).
    message = (exc.message if isinstance(exc, Neo4jError) else None) or str(exc)
    return (message.strip().splitlines() or [type(exc).__name__])[0]


def translate(exc: BaseException, *, address: str, database: str) -> LoanwatchError:
    """The Loanwatch error for the driver error ``exc`` (raise it ``from exc``).

    Args:
        exc: an instance of one of :data:`DRIVER_ERRORS`.
        address: the server, as messages name it.
        database: the database the operation ran on.
    """
    reason = _first_line(exc)
    code = getattr(exc, "code", None)
    if isinstance(exc, IncompleteCommit):
        return GraphBackendError(
            f"the connection to Neo4j at {address} broke while a write was committing; it may "
            f"or may not have been written: {reason}",
            suggestion="write it again (every write is an idempotent upsert)")
    if isinstance(exc, AuthError):
        return BackendUnavailable(
            "Neo4j", address, f"authentication failed: {reason}",
            suggestion="check LOANWATCH_NEO4J_USER and LOANWATCH_NEO4J_PASSWORD")
    if isinstance(exc, ServiceUnavailable | SessionExpired | ConnectionPoolError | OSError):
        return BackendUnavailable(
            "Neo4j", address, reason,
            suggestion="start it with `loanwatch neo4j start`, or check LOANWATCH_NEO4J_URI")
    if code == _DATABASE_NOT_FOUND:
        return GraphBackendError(
            f"Neo4j at {address} has no database {database!r}", code=code,
            suggestion="check LOANWATCH_NEO4J_DATABASE (Community Edition has only 'neo4j')")
    if isinstance(exc, TransientError):
        return TransientGraphError(
            f"Neo4j at {address} kept failing transiently after retries ({code}): {reason}",
            code=code, suggestion="try again; if it persists, run fewer writers at once")
    if isinstance(exc, ConstraintError):
        return GraphBackendError(
            f"Neo4j at {address} refused a write that breaks a constraint ({code}): {reason}",
            code=code)
    if isinstance(exc, DatabaseError):
        return GraphBackendError(
            f"Neo4j at {address} failed ({code}): {reason}", code=code,
            suggestion="see the Neo4j server's log")
    if isinstance(exc, Neo4jError):
        return GraphBackendError(f"Neo4j at {address} refused the request ({code}): {reason}",
                                 code=code)
    return GraphBackendError(f"the Neo4j driver failed ({type(exc).__name__}): {reason}")
