"""Direct resolvers for the fields where Strawberry's generic resolver has nothing to do.

Strawberry runs every field that has a resolver through one generic wrapper: it converts
the GraphQL arguments, builds an ``Info``, chains the field's extensions, matches exception
handlers and, for an async resolver, awaits it inside a coroutine of its own. For a field
with no arguments, no field extensions and no permission classes, all of that comes down
to calling the method with its object (and the ``Info`` when it asks for one). Most of
Loanwatch's fields are such methods (``id``, ``name``, ``loans``, ``guarantor``...): a
borrower 360° view resolves some sixty of them, and the generic path cost about an eighth
of its CPU time (py-spy, ``benchmarks/api_load.py``).

:func:`resolve_directly` replaces, once at build, the graphql-core resolver of each such
field with one that calls the method itself; an async method's coroutine goes to
graphql-core as it is (graphql-core awaits it). Fields with arguments, extensions or
permission classes, subscription fields, and every field of a schema with exception
handlers keep Strawberry's resolver. Apply it before anything else wraps the resolvers
(:func:`schema.personal_reads.watch_personal_fields`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

import strawberry
from graphql import GraphQLObjectType, GraphQLResolveInfo, GraphQLSchema
from strawberry.types.field import StrawberryField

__all__ = ["resolve_directly"]

#: Where Strawberry keeps a graphql-core field's Strawberry definition.
DEFINITION_KEY: Final = "strawberry-definition"


def resolve_directly(schema: strawberry.Schema) -> list[str]:
    """Give every eligible field of ``schema`` a direct resolver (module docstring);
    returns their coordinates ("Type.field")."""
    if schema.schema_converter._exception_handler_specs:
        return []  # a handler may have to turn a resolver's exception into a result
    graphql_schema: GraphQLSchema = schema._schema
    skipped = {graphql_schema.subscription_type}
    direct: list[str] = []
    for type_ in graphql_schema.type_map.values():
        if (type_.name.startswith("__") or not isinstance(type_, GraphQLObjectType)
                or type_ in skipped):
            continue
        for name, graphql_field in type_.fields.items():
            definition = (graphql_field.extensions or {}).get(DEFINITION_KEY)
            resolver = _direct_resolver(definition, schema.config.info_class)
            if resolver is not None:
                graphql_field.resolve = resolver
                direct.append(f"{type_.name}.{name}")
    return direct


def _direct_resolver(field: object, info_class: type[strawberry.Info[Any, Any]]
                     ) -> Callable[..., Any] | None:
    """A resolver calling ``field``'s method directly, or ``None`` when the field needs
    Strawberry's generic one."""
    if not isinstance(field, StrawberryField) or field.base_resolver is None:
        return None
    if field.arguments or field.extensions or field.permission_classes:
        return None
    if field.is_subscription:
        return None
    resolver = field.base_resolver
    method = resolver.wrapped_func
    if not callable(method) or resolver.parent_parameter or resolver.root_parameter:
        return None
    known = {p.name for p in (resolver.self_parameter, resolver.info_parameter)
             if p is not None}
    if any(name not in known for name in resolver.signature.parameters):
        return None  # a parameter Strawberry fills another way: leave it to Strawberry
    takes_self = resolver.self_parameter is not None
    info_name = resolver.info_parameter.name if resolver.info_parameter else None

    if info_name is None:
        if takes_self:
            def resolve(source: Any, info: GraphQLResolveInfo) -> Any:
                return method(source)
        else:
            def resolve(source: Any, info: GraphQLResolveInfo) -> Any:
                return method()
        return resolve

    def resolve_with_info(source: Any, info: GraphQLResolveInfo) -> Any:
        wrapped = info_class(_raw_info=info, _field=field)
        if takes_self:
            return method(source, **{info_name: wrapped})
        return method(**{info_name: wrapped})

    return resolve_with_info
