"""The last checks before a valid document runs, as one Strawberry schema extension.

After parsing and validation, and before any resolver runs, :class:`CostLimiter`:

1. picks the operation to run; a document with several operations and no
   ``operationName`` is refused (``BAD_REQUEST``) rather than running the first one;
2. coerces the variables, so a missing variable or one of the wrong type is the client's
   ``BAD_USER_INPUT`` (graphql-core would report it as an error without a code, which
   read as a server fault);
3. computes the operation's cost (:mod:`schema.cost`) and refuses it above ``max_cost``
   (``QUERY_TOO_COSTLY``, with the cost and the limit);
4. holds the request's admission (:attr:`schema.control.QueryControl.admission`) while the
   operation executes: a heavy query may wait there for a turn, or be refused
   (``SERVER_BUSY``).

An accepted operation's cost is kept in the schema's
:class:`schema.document_cache.DocumentCache` when one is given: the same query text,
``operationName`` and variables are not coerced and costed again.

A refusal is set as the execution's result, which Strawberry returns without executing
(``execution_context.result``, as its caching examples do): a request error with no data.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from typing import Any, Final

from graphql import ExecutionResult, GraphQLError, OperationDefinitionNode
from graphql.execution import VariableValues, get_variable_values
from strawberry.extensions import SchemaExtension
from strawberry.types import ExecutionContext

from schema.context import Context
from schema.control import admit_everything
from schema.cost import operation_cost
from schema.document_cache import DocumentCache
from schema.error_codes import ErrorCode
from schema.errors import ServerBusy

__all__ = ["MAX_VARIABLE_ERRORS", "CostLimiter"]

#: Variable errors reported at most, as graphql-core does.
MAX_VARIABLE_ERRORS: Final = 50


def _provided_operation_name(context: ExecutionContext) -> str | None:
    # Strawberry's public ``operation_name`` falls back to the first operation's name, so
    # a document with two operations and no operationName would run the first one. The
    # name the client gave is kept here; tests/schema/test_errors_and_limits.py fails
    # should a Strawberry upgrade move it.
    return context._provided_operation_name


def _request_error(message: str, code: ErrorCode, *, nodes: Any = None,
                   original: Exception | None = None, **extensions: Any) -> GraphQLError:
    return GraphQLError(message, nodes=nodes, original_error=original,
                        extensions={"code": code.value, **extensions})


class CostLimiter(SchemaExtension):
    """Refuse ambiguous operations, bad variables and operations costing over ``max_cost``;
    hold the request's admission while the operation executes.

    Args:
        max_cost: the most an operation may cost (see :mod:`schema.cost`).
        cache: where the costs of accepted operations are kept (none when omitted).
    """

    def __init__(self, *, max_cost: int, cache: DocumentCache | None = None) -> None:
        self.max_cost = max_cost
        self.cache = cache
        #: The cost of the operation executed last (``None`` before one was checked).
        self.cost: int | None = None

    def __repr__(self) -> str:
        return f"CostLimiter(max_cost={self.max_cost})"

    def _operation(self) -> OperationDefinitionNode | GraphQLError:
        context = self.execution_context
        document = context.graphql_document
        assert document is not None, "on_execute runs after parsing"
        operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
        wanted = _provided_operation_name(context)
        if wanted is None:
            if len(operations) == 1:
                return operations[0]
            names = ", ".join(op.name.value if op.name else "(anonymous)" for op in operations)
            return _request_error(
                f"the document has {len(operations)} operations ({names}) and no "
                "operationName: name the one to run", ErrorCode.BAD_REQUEST)
        for operation in operations:
            if operation.name is not None and operation.name.value == wanted:
                return operation
        return _request_error(f"the document has no operation named {wanted!r}",
                              ErrorCode.BAD_REQUEST)

    def _variables(self, operation: OperationDefinitionNode
                   ) -> VariableValues | list[GraphQLError]:
        coerced = get_variable_values(
            self.execution_context.schema._schema,
            operation.variable_definitions or (),
            self.execution_context.variables or {},
            max_errors=MAX_VARIABLE_ERRORS,
        )
        if isinstance(coerced, list):
            return [
                _request_error(error.message, ErrorCode.BAD_USER_INPUT, nodes=error.nodes)
                for error in coerced
            ]
        return coerced

    def _refusal(self) -> tuple[list[GraphQLError], int]:
        """The errors refusing this operation (empty when it may run), and its cost."""
        context, cache = self.execution_context, self.cache
        key = None if cache is None else cache.operation_key(
            context.query, _provided_operation_name(context), context.variables)
        if cache is not None and key is not None:
            kept = cache.costs.get(key)
            if kept is not None:
                return [], kept
        errors, cost = self._checked()
        if cache is not None and key is not None and not errors:
            cache.costs.put(key, cost)
        return errors, cost

    def _checked(self) -> tuple[list[GraphQLError], int]:
        operation = self._operation()
        if isinstance(operation, GraphQLError):
            return [operation], 0
        variables = self._variables(operation)
        if isinstance(variables, list):
            return variables, 0
        context = self.execution_context
        assert context.graphql_document is not None
        cost = operation_cost(context.schema._schema,
                              context.graphql_document, operation, variables)
        if cost > self.max_cost:
            return [_request_error(
                f"the query costs {cost:,}, more than the limit of {self.max_cost:,}: ask "
                "for fewer hops, smaller limits or fewer aliases",
                ErrorCode.QUERY_TOO_COSTLY, nodes=operation, cost=cost,
                maxCost=self.max_cost)], cost
        return [], cost

    async def on_execute(self) -> AsyncIterator[None]:
        context = self.execution_context
        if context.result is not None:  # already refused (schema.authorization)
            yield
            return
        errors, self.cost = self._refusal()
        request = context.context
        admission = request.control.admission if isinstance(request, Context) \
            else admit_everything
        async with AsyncExitStack() as stack:
            if not errors:
                try:
                    await stack.enter_async_context(admission(self.cost))
                except ServerBusy as busy:
                    errors = [_request_error(str(busy), ErrorCode.SERVER_BUSY, original=busy)]
            if errors:
                context.result = ExecutionResult(data=None, errors=errors)
            yield
