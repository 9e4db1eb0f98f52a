"""The execution context of one GraphQL operation, made to be freed as soon as it is done.

graphql-core's executor keeps ``async_helpers``: a pair of its own bound methods, so the
executor refers to itself. That one reference cycle keeps everything the operation touched
(the request's context, its loaders and their caches, every node and edge read, the
futures) alive after the answer is sent, until Python's cyclic garbage collector finds it:
some 300 objects per borrower 360° view, promoted through the generations and freed in
full collections that, on a process holding the schema and the stores, paused every request
in flight for tens of milliseconds (hundreds on a busy machine) — the worst of the API's
p99. :class:`LoanwatchExecutionContext` drops the helpers once the response is built, so
reference counting frees the operation's objects at once.
"""

from __future__ import annotations

from typing import Any

from graphql import ExecutionResult
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

__all__ = ["LoanwatchExecutionContext"]


class LoanwatchExecutionContext(StrawberryGraphQLCoreExecutionContext):
    """Strawberry's execution context, with its self-reference dropped at the end."""

    def build_response(self, data: dict[str, Any] | None) -> Any:
        response = super().build_response(data)
        if isinstance(response, ExecutionResult):  # complete: nothing runs after this
            self.async_helpers = None  # type: ignore[assignment]
        return response
