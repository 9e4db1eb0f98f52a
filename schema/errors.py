"""Errors raised by resolvers on purpose. A leaf: it imports only the error root.

Each becomes a GraphQL error with a stable ``extensions.code`` in
:mod:`schema.error_codes`; nothing else in the schema knows about codes.
"""

from __future__ import annotations

from loanwatch.errors import LoanwatchError

__all__ = [
    "InvalidArgument",
    "QueryCancelled",
    "QueryInterrupted",
    "QueryTimedOut",
    "SchemaError",
    "ServerBusy",
    "UnexpectedLabel",
]


class SchemaError(LoanwatchError):
    """Base class of errors raised by GraphQL resolvers."""


class InvalidArgument(SchemaError):
    """An argument is out of range or malformed; the message names it and its bounds."""


class UnexpectedLabel(SchemaError):
    """An id names a node that exists but has another label than the field returns."""

    def __init__(self, node_id: str, label: str, expected: str) -> None:
        super().__init__(
            f"{node_id!r} is a {label}, not a {expected}",
            suggestion="look the id up with neighbourhood(id: ..., hops: 0)",
        )
        self.node_id = node_id
        self.label = label
        self.expected = expected


class ServerBusy(SchemaError):
    """Too many heavy queries run already, and this one waited its limit for a turn."""


class QueryInterrupted(SchemaError):
    """A request's work was stopped before it finished (see the subclasses)."""


class QueryTimedOut(QueryInterrupted):
    """The request ran past its time limit."""


class QueryCancelled(QueryInterrupted):
    """The client went away, so nobody waits for the answer."""
