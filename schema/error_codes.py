"""Stable error codes in ``extensions.code``, and masking of unexpected errors.

Resolvers raise domain errors (:class:`graph.errors.NodeNotFound`, the errors of
:mod:`schema.errors`); this extension gives each GraphQL error a code a client can rely
on. Any other error is a bug or an outage: its code is ``INTERNAL`` and, when masking is
on (production), its message is replaced so that no SQL, address or stack detail leaks.
The original is still logged, by :class:`schema.build.LoanwatchSchema`.
"""

from __future__ import annotations

from collections.abc import Iterator
from enum import StrEnum
from typing import Final

from graphql import GraphQLError, GraphQLSyntaxError
from strawberry.extensions import SchemaExtension

from graph.errors import NodeNotFound
from loanwatch.errors import LoanwatchError
from schema.errors import InvalidArgument, UnexpectedLabel

__all__ = ["MASKED_MESSAGE", "ErrorCode", "ErrorCodes", "classify"]

MASKED_MESSAGE: Final = "Internal server error."


class ErrorCode(StrEnum):
    #: The id names nothing, or something of another kind.
    NOT_FOUND = "NOT_FOUND"
    #: An argument is out of range or malformed.
    BAD_USER_INPUT = "BAD_USER_INPUT"
    #: The document is not GraphQL, or has too many tokens.
    GRAPHQL_PARSE_FAILED = "GRAPHQL_PARSE_FAILED"
    #: The document or its variables do not fit the schema, or it breaks a depth or
    #: alias limit.
    GRAPHQL_VALIDATION_FAILED = "GRAPHQL_VALIDATION_FAILED"
    #: Anything else; masked in production.
    INTERNAL = "INTERNAL"


#: Domain errors and their codes, most specific first.
DOMAIN_CODES: Final[tuple[tuple[type[Exception], ErrorCode], ...]] = (
    (NodeNotFound, ErrorCode.NOT_FOUND),
    (UnexpectedLabel, ErrorCode.NOT_FOUND),
    (InvalidArgument, ErrorCode.BAD_USER_INPUT),
)


def classify(error: GraphQLError) -> ErrorCode:
    """The code of ``error``: from its original exception, or from where it arose."""
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
