"""Stable error codes in ``extensions.code``, and masking of unexpected errors.

Resolvers raise domain errors (:class:`graph.errors.NodeNotFound`, the errors of
:mod:`schema.errors`); this extension gives each GraphQL error a code a client can rely
on. An error that already carries one of these codes (the request errors of
:mod:`schema.cost_limit` and of the HTTP layer) keeps it. Any other error is a bug or an
outage: its code is ``INTERNAL`` and, when masking is on (production), its message is
replaced so that no SQL, address or stack detail leaks. The original is still logged, by
:class:`schema.build.LoanwatchSchema`; errors with any other code are the client's doing
(or a limit doing its job) and are not logged as faults.
"""

from __future__ import annotations

from collections.abc import Iterator
from enum import StrEnum
from typing import Any, Final

from graphql import GraphQLError, GraphQLSyntaxError
from strawberry.extensions import SchemaExtension

from graph.errors import NodeNotFound
from loanwatch.errors import LoanwatchError
from risk.collections.errors import CaseNotFound
from risk.errors import AlertNotFound
from schema.errors import (
    InvalidArgument,
    QueryCancelled,
    QueryTimedOut,
    ServerBusy,
    UnexpectedLabel,
)

__all__ = ["MASKED_MESSAGE", "ErrorCode", "ErrorCodes", "classify"]

MASKED_MESSAGE: Final = "Internal server error."


class ErrorCode(StrEnum):
    """The values of ``extensions.code``. Every code but ``INTERNAL`` is the client's
    mistake or a limit doing its job."""

    #: The id names nothing, or something of another kind.
    NOT_FOUND = "NOT_FOUND"
    #: An argument is out of range or malformed, or a variable is missing or of the
    #: wrong type.
    BAD_USER_INPUT = "BAD_USER_INPUT"
    #: The document is not GraphQL, or has too many tokens.
    GRAPHQL_PARSE_FAILED = "GRAPHQL_PARSE_FAILED"
    #: The document does not fit the schema, or it breaks a depth or alias limit.
    GRAPHQL_VALIDATION_FAILED = "GRAPHQL_VALIDATION_FAILED"
    #: The HTTP request is not a GraphQL request (not JSON, not UTF-8, no query, a
    #: parameter of the wrong shape), or which operation to run cannot be told (several
    #: operations without ``operationName``, or an unknown name).
    BAD_REQUEST = "BAD_REQUEST"
    #: The HTTP method is not GET or POST, or a GET asks for a mutation.
    METHOD_NOT_ALLOWED = "METHOD_NOT_ALLOWED"
    #: The body, or a GET's query string, is larger than the API accepts.
    PAYLOAD_TOO_LARGE = "PAYLOAD_TOO_LARGE"
    #: The query may return or visit more than the cost limit allows.
    QUERY_TOO_COSTLY = "QUERY_TOO_COSTLY"
    #: The query ran past the time limit and was stopped.
    QUERY_TIMEOUT = "QUERY_TIMEOUT"
    #: Heavy queries fill every slot and this one waited its limit for a turn.
    SERVER_BUSY = "SERVER_BUSY"
    #: The client disconnected, so the query was stopped (no client ever reads it).
    CANCELLED = "CANCELLED"
    #: A persisted document's hash names no registered document.
    PERSISTED_QUERY_NOT_FOUND = "PERSISTED_QUERY_NOT_FOUND"
    #: The server runs only registered documents, and this one is not.
    PERSISTED_QUERY_NOT_ALLOWED = "PERSISTED_QUERY_NOT_ALLOWED"
    #: No access token, or one that is malformed, expired, revoked or not ours (401).
    UNAUTHENTICATED = "UNAUTHENTICATED"
    #: The token is valid but its role and scopes lack a right a selected field needs
    #: (403); ``extensions.field`` and ``extensions.right`` name them.
    FORBIDDEN = "FORBIDDEN"
    #: The client sent more requests than its rate limit allows (429, ``Retry-After``).
    RATE_LIMITED = "RATE_LIMITED"
    #: A WebSocket connection already runs as many operations as one connection may.
    TOO_MANY_SUBSCRIPTIONS = "TOO_MANY_SUBSCRIPTIONS"
    #: Anything else; masked in production.
    INTERNAL = "INTERNAL"


#: Domain errors and their codes, most specific first.
DOMAIN_CODES: Final[tuple[tuple[type[Exception], ErrorCode], ...]] = (
    (NodeNotFound, ErrorCode.NOT_FOUND),
    (AlertNotFound, ErrorCode.NOT_FOUND),
    (CaseNotFound, ErrorCode.NOT_FOUND),
    (UnexpectedLabel, ErrorCode.NOT_FOUND),
    (InvalidArgument, ErrorCode.BAD_USER_INPUT),
    (QueryTimedOut, ErrorCode.QUERY_TIMEOUT),
    (QueryCancelled, ErrorCode.CANCELLED),
    (ServerBusy, ErrorCode.SERVER_BUSY),
)
#: The codes an error may already carry when it reaches :class:`ErrorCodes`.
_KNOWN_CODES: Final = frozenset(code.value for code in ErrorCode)


def classify(error: GraphQLError) -> ErrorCode:
    """The code of ``error``: the one it carries, else from its original exception, else
    from where it arose."""
    given = (error.extensions or {}).get("code")
    if isinstance(given, str) and given in _KNOWN_CODES:
        return ErrorCode(given)
    original = error.original_error
    if original is None:
        if isinstance(error, GraphQLSyntaxError):
            return ErrorCode.GRAPHQL_PARSE_FAILED
        # Without a path it arose before execution: validation or variable coercion.
        return ErrorCode.GRAPHQL_VALIDATION_FAILED if error.path is None else ErrorCode.INTERNAL
    for error_type, code in DOMAIN_CODES:
        if isinstance(original, error_type):
            return code
    return ErrorCode.INTERNAL


class ErrorCodes(SchemaExtension):
    """Set ``extensions.code`` on every error; mask ``INTERNAL`` ones when asked.

    Args:
        mask_internal: replace the message of ``INTERNAL`` errors with
            :data:`MASKED_MESSAGE` (keeping locations and path).
    """

    def __init__(self, *, mask_internal: bool) -> None:
        self.mask_internal = mask_internal

    def __repr__(self) -> str:
        return f"ErrorCodes(mask_internal={self.mask_internal})"

    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        errors = getattr(result, "errors", None)
        if errors:
            result.errors = [self._coded(error) for error in errors]  # type: ignore[union-attr]

    def on_stream_result(self, result: Any) -> None:
        """The same for each result of a subscription (over WebSocket)."""
        errors = getattr(result, "errors", None)
        if errors:
            result.errors = [self._coded(error) for error in errors]

    def _coded(self, error: GraphQLError) -> GraphQLError:
        code = classify(error)
        if code is ErrorCode.INTERNAL and self.mask_internal:
            return GraphQLError(
                MASKED_MESSAGE, nodes=error.nodes, source=error.source,
                positions=error.positions, path=error.path, extensions={"code": code.value},
            )
        extensions = {**(error.extensions or {}), "code": code.value}
        original = error.original_error
        if isinstance(original, LoanwatchError) and original.suggestion:
            extensions["suggestion"] = original.suggestion
        error.extensions = extensions
        return error
