"""What one GraphQL operation may cost, computed from the document before anything runs.

Depth and alias limits do not bound the work: fifteen aliases of
``neighbourhood(hops: 6, limit: 2000)`` pass both and return megabytes. The cost counts
what an operation may return and visit, with the argument values it will run with:

- a field that returns objects costs one per object it may return, plus the cost of its
  selections for each of them; scalars and enums come with their object, free;
- a list holds as many items as the field's ``first`` or ``limit`` argument says (its
  default when omitted), or as many as its ``ids`` argument names (``nodes(ids:)``); a
  list without such an argument, directly inside a field that
  has one, holds that many (the nodes and edges of a ``Subgraph``, the edges of a
  connection); directly inside a field with ``maxHops``, ``maxHops + 1`` (a path's nodes);
  any other list is counted as :data:`DEFAULT_LIST_SIZE` items;
- a walk (a field with ``hops`` or ``maxHops``) also costs ``limit × hops``: each hop may
  visit up to ``limit`` nodes;
- every alias counts on its own, and every fragment counts (an upper bound when
  fragments apply to different types); introspection is free;
- a field that computes over the whole portfolio (``stress``) adds its own cost, declared
  on the field as ``metadata={OWN_COST: n}`` (:data:`WHOLE_PORTFOLIO_COST` for the stress
  test): at the defaults it is a heavy query, so it waits for one of the heavy-query slots
  (:class:`api.admission.HeavyQueryGate`) instead of competing with the light ones.

So ``neighbourhood(hops: 6, limit: 2000) { nodes { id } edges { type } }`` costs
2000 × 6 for the walk, plus 1 + 2000 + 2000 for what it returns: 16,001.

Example::

    cost = operation_cost(schema, document, operation, variable_values)

Complexity: O(size of the document with its fragments expanded).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLField,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    get_named_type,
    is_composite_type,
)
from graphql.execution import VariableValues, get_argument_values

__all__ = ["DEFAULT_LIST_SIZE", "OWN_COST", "WHOLE_PORTFOLIO_COST", "operation_cost"]

#: Items counted for a list whose size no argument states (a party's loans, say).
DEFAULT_LIST_SIZE: Final = 10
#: Arguments that state how many items a field returns, and how far a walk goes.
SIZE_ARGUMENTS: Final = ("first", "limit", "ids")
#: Size arguments whose value is the list of what is asked for.
LIST_SIZE_ARGUMENTS: Final = frozenset({"ids"})
HOPS_ARGUMENTS: Final = ("hops", "maxHops")
#: The metadata key of a field's own cost (``strawberry.field(metadata={OWN_COST: n})``).
OWN_COST: Final = "loanwatch.cost"
#: The own cost of a pass over the whole portfolio: twice the default heavy-query cost
#: (10,000), so it is heavy unless an operator raises that past it; two fit under the
#: default limit (50,000).
WHOLE_PORTFOLIO_COST: Final = 20_000
#: Where Strawberry keeps a field's definition on the graphql-core field.
_STRAWBERRY_DEFINITION: Final = "strawberry-definition"


def _own_cost(definition: GraphQLField) -> int:
    """The cost a field declares for itself (0 when none)."""
    field = (definition.extensions or {}).get(_STRAWBERRY_DEFINITION)
    value = (getattr(field, "metadata", None) or {}).get(OWN_COST, 0)
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _is_list(type_: GraphQLOutputType) -> bool:
    inner = type_.of_type if isinstance(type_, GraphQLNonNull) else type_
    return isinstance(inner, GraphQLList)


def _first_int(arguments: Mapping[str, Any], names: tuple[str, ...]) -> int | None:
    for name in names:
        value = arguments.get(name)
        if isinstance(value, int) and not isinstance(value, bool):
            return max(value, 0)
        if name in LIST_SIZE_ARGUMENTS and isinstance(value, list):
            return len(value)
    return None


class _CostWalk:
    """One computation: the schema, the document's fragments and the variable values."""

    def __init__(self, schema: GraphQLSchema, document: DocumentNode,
                 variables: VariableValues | None) -> None:
        self.schema = schema
        self.variables = variables
        self.fragments = {
            definition.name.value: definition
            for definition in document.definitions
            if isinstance(definition, FragmentDefinitionNode)
        }

    def selections(self, selection_set: SelectionSetNode, parent: Any,
                   list_size: int | None, expanding: frozenset[str] = frozenset()) -> int:
        total = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                total += self.field(selection, parent, list_size)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                target = self.schema.get_type(condition.name.value) if condition else parent
                total += self.selections(selection.selection_set, target, list_size, expanding)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                fragment = self.fragments.get(name)
                if fragment is None or name in expanding:  # validation rejects both
                    continue
                target = self.schema.get_type(fragment.type_condition.name.value)
                total += self.selections(fragment.selection_set, target, list_size,
                                         expanding | {name})
        return total

    def field(self, node: FieldNode, parent: Any, list_size: int | None) -> int:
        name = node.name.value
        if name.startswith("__") or not isinstance(parent, GraphQLObjectType
                                                    | GraphQLInterfaceType):
            return 0
        definition = parent.fields.get(name)
        if definition is None:
            return 0
        arguments = get_argument_values(definition, node, self.variables)
        size = _first_int(arguments, SIZE_ARGUMENTS)
        hops = _first_int(arguments, HOPS_ARGUMENTS)
        walk = (size or 1) * hops if hops is not None else 0
        walk += _own_cost(definition)
        if not is_composite_type(get_named_type(definition.type)) or node.selection_set is None:
            return walk
        if _is_list(definition.type):
            count = size if size is not None else list_size or DEFAULT_LIST_SIZE
            child_size = None
        else:
            count = 1
            child_size = size
        if "maxHops" in arguments and hops is not None:
            child_size = hops + 1
        target = get_named_type(definition.type)
        return walk + count * (1 + self.selections(node.selection_set, target, child_size))


def operation_cost(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation: OperationDefinitionNode,
    variables: VariableValues | None,
) -> int:
    """The cost of running ``operation`` of ``document`` with ``variables`` (see the
    module's rules). The document must have passed validation.

    Args:
        variables: coerced variable values (``graphql.execution.get_variable_values``).
    """
    root = schema.get_root_type(operation.operation)
    if root is None:
        return 0
    return _CostWalk(schema, document, variables).selections(operation.selection_set, root,
                                                             None)
