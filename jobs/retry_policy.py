"""Which failures a job retries: transient faults only.

A server that cannot be reached (``loanwatch.errors.BackendUnavailable``), a database
connection that broke or timed out, a Redis or Neo4j connection lost: the same job may well
succeed later, so Dramatiq's ``Retries`` middleware enqueues it again with exponential
backoff. Anything else (a validation error, a malformed payload, a bug) would fail the same
way again: the message is dead-lettered at once with its error.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

import redis.exceptions
from neo4j import exceptions as neo4j_exceptions
from sqlalchemy import exc as sa_exc

from loanwatch.errors import BackendUnavailable

__all__ = ["TRANSIENT_ERRORS", "is_transient", "retry_when"]

#: Exceptions that say "try again later". SQLAlchemy's ``OperationalError`` covers a lost or
#: refused database connection, a serialization failure and a deadlock.
TRANSIENT_ERRORS: Final[tuple[type[BaseException], ...]] = (
    BackendUnavailable,
    sa_exc.OperationalError,
    sa_exc.InterfaceError,
    sa_exc.DisconnectionError,
    sa_exc.TimeoutError,
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
    neo4j_exceptions.ServiceUnavailable,
    neo4j_exceptions.SessionExpired,
    ConnectionError,
)
#: How deep the ``__cause__`` / ``__context__`` chain is searched.
_MAX_CHAIN: Final = 16


def is_transient(error: BaseException) -> bool:
    """Whether ``error``, or an error it was raised from, is a transient fault."""
    seen: BaseException | None = error
    for _ in range(_MAX_CHAIN):
        if seen is None:
            return False
        if isinstance(seen, TRANSIENT_ERRORS):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def retry_when(max_retries: int) -> Callable[[int, BaseException], bool]:
    """The predicate of Dramatiq's ``Retries(retry_when=...)``: retry a transient fault
    while fewer than ``max_retries`` retries were made (it replaces ``max_retries``, which
    Dramatiq ignores once a predicate is given)."""

    def should_retry(retries: int, error: BaseException) -> bool:
        return retries < max_retries and is_transient(error)

    return should_retry
