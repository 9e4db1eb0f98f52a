"""Field-level authorization: refuse a document selecting a field the caller may not read,
before any resolver runs.

Every field declares the right it needs (:mod:`schema.permissions`; by default
:data:`schema.permissions.DEFAULT_RIGHT`). :class:`FieldRights` walks the document once,
collects the rights its fields need (:class:`AccessRules`), and refuses the request with
``FORBIDDEN`` naming the first field whose right the caller lacks, and the right. A field
selected on an interface or a union needs the rights of that field on every type it may
resolve to, so a field one implementation guards cannot be reached through the interface.

The whole document is checked, every operation and fragment in it (a client sends the
operations it runs; one it would not run may not ride along), and ``@skip``/``@include``
do not exempt a field: what a document may ask does not depend on its variables, so the
verdict is cached per document text and set of rights, and a repeated query costs one
dictionary look-up. Introspection fields need only a valid token.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from threading import Lock
from typing import Final

from graphql import (
    DocumentNode,
    FieldNode,
    GraphQLError,
    GraphQLInterfaceType,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLUnionType,
    TypeInfo,
    TypeInfoVisitor,
    Visitor,
    get_named_type,
    visit,
)
from graphql import ExecutionResult as GraphQLExecutionResult
from strawberry.extensions import SchemaExtension
from strawberry.types.graphql import OperationType

from auth.audit_events import AuditAction, AuditEvent
from auth.principal import Right
from schema.context import Context
from schema.error_codes import ErrorCode
from schema.permissions import declared_right

__all__ = ["DEFINITION_KEY", "MAX_CACHED_DOCUMENTS", "AccessRules", "FieldRights",
           "Requirement", "field_definitions"]

#: Where Strawberry keeps a graphql-core field's own definition (its metadata).
DEFINITION_KEY: Final = "strawberry-definition"
#: Documents whose requirements are remembered (least recently used dropped first).
MAX_CACHED_DOCUMENTS: Final = 2_048


@dataclass(frozen=True, slots=True)
class Requirement:
    """A document needs ``right`` because it selects ``field`` ("Type.field")."""

    right: Right
    field: str


def field_definitions(schema: GraphQLSchema) -> Iterator[tuple[str, str, Mapping | None]]:
    """``(type name, field name, metadata)`` of every field of every object and interface
    type of ``schema`` (introspection types left out)."""
    for type_ in schema.type_map.values():
        if type_.name.startswith("__") or not isinstance(
                type_, GraphQLObjectType | GraphQLInterfaceType):
            continue
        for name, field in type_.fields.items():
            definition = (field.extensions or {}).get(DEFINITION_KEY)
            yield type_.name, name, getattr(definition, "metadata", None)


class AccessRules:
    """The rights each field of a schema needs, and a cache of what each document needs.

    Build one per schema (it holds the cache every request shares).
    """

    def __init__(self) -> None:
        self._rules: dict[tuple[str, str], tuple[Requirement, ...]] | None = None
        self._schema: GraphQLSchema | None = None
        self._documents: OrderedDict[str, tuple[Requirement, ...]] = OrderedDict()
        self._verdicts: dict[tuple[str, frozenset[Right]], Requirement | None] = {}
        self._lock = Lock()

    def __repr__(self) -> str:
        return f"AccessRules(documents={len(self._documents)})"

    def _field_rules(self, schema: GraphQLSchema
                     ) -> dict[tuple[str, str], tuple[Requirement, ...]]:
        if self._rules is not None and self._schema is schema:
            return self._rules
        own = {(type_name, name): Requirement(declared_right(metadata), f"{type_name}.{name}")
               for type_name, name, metadata in field_definitions(schema)}
        rules: dict[tuple[str, str], tuple[Requirement, ...]] = {}
        for (type_name, name), requirement in own.items():
            found = [requirement]
            parent = schema.type_map[type_name]
            if isinstance(parent, GraphQLInterfaceType):
                found += [own[(impl.name, name)] for impl in
                          schema.get_possible_types(parent) if (impl.name, name) in own]
            rules[(type_name, name)] = tuple(dict.fromkeys(found))
        self._rules, self._schema = rules, schema
        return rules

    def requirements(self, schema: GraphQLSchema, document: DocumentNode, text: str | None
                     ) -> tuple[Requirement, ...]:
        """Every right ``document`` (whose source is ``text``; ``None``: unknown, so not
        cached) needs, each with the first field needing it, in document order."""
        if text:
            with self._lock:
                cached = self._documents.get(text)
                if cached is not None:
                    self._documents.move_to_end(text)
                    return cached
        rules = self._field_rules(schema)
        found: dict[Right, Requirement] = {}
        type_info = TypeInfo(schema)

        class Fields(Visitor):
            def enter_field(self, node: FieldNode, *_: object) -> None:
                parent = type_info.get_parent_type()
                name = node.name.value
                if parent is None or name.startswith("__"):
                    return
                for requirement in _requirements_of(schema, rules, get_named_type(parent),
                                                    name):
                    found.setdefault(requirement.right, requirement)

        visit(document, TypeInfoVisitor(type_info, Fields()))
        needed = tuple(found.values())
        if not text:
            return needed
        with self._lock:
            self._documents[text] = needed
            if len(self._documents) > MAX_CACHED_DOCUMENTS:
                self._documents.popitem(last=False)
                self._verdicts.clear()
        return needed

    def missing(self, schema: GraphQLSchema, document: DocumentNode, text: str | None,
                rights: frozenset[Right]) -> Requirement | None:
        """The first requirement of ``document`` (source ``text``, see :meth:`requirements`)
        that ``rights`` do not meet, else ``None``."""
        key = (text or "", rights)
        if text and key in self._verdicts:
            return self._verdicts[key]
        verdict = next((r for r in self.requirements(schema, document, text)
                        if r.right not in rights), None)
        if not text:
            return verdict
        with self._lock:
            if len(self._verdicts) < MAX_CACHED_DOCUMENTS * 8:
                self._verdicts[key] = verdict
        return verdict


def _requirements_of(schema: GraphQLSchema,
                     rules: Mapping[tuple[str, str], tuple[Requirement, ...]],
                     parent: GraphQLNamedType, name: str) -> tuple[Requirement, ...]:
    if isinstance(parent, GraphQLUnionType):
        return tuple(r for member in schema.get_possible_types(parent)
                     for r in rules.get((member.name, name), ()))
    return rules.get((parent.name, name), ())


def forbidden(requirement: Requirement, context: Context) -> GraphQLError:
    """The ``FORBIDDEN`` request error refusing ``requirement``."""
    principal = context.principal
    article = "an" if principal is not None and principal.role.value[0] in "aeiou" else "a"
    who = "this connection has not authenticated" if principal is None else (
        f"{article} {principal.role.value} token with scopes "
        f"{' '.join(sorted(principal.scopes)) or '(none)'} does not grant it")
    return GraphQLError(
        f"{requirement.field} needs the right {requirement.right.value!r}: {who}",
        extensions={"code": ErrorCode.FORBIDDEN.value, "field": requirement.field,
                    "right": requirement.right.value})


class FieldRights(SchemaExtension):
    """Refuse, before execution, a document selecting a field the caller may not read
    (module docstring); record the refusal in the audit trail.

    Args:
        rules: the schema's :class:`AccessRules` (shared by every request).
    """

    def __init__(self, *, rules: AccessRules) -> None:
        self.rules = rules

    def __repr__(self) -> str:
        return f"FieldRights({self.rules!r})"

    def on_execute(self) -> Iterator[None]:
        execution = self.execution_context
        context = execution.context
        document = execution.graphql_document
        if document is None or not isinstance(context, Context):
            yield
            return
        context.operation_name = execution.operation_name or ""
        principal = context.principal
        if principal is not None and principal.expires_at is not None \
                and principal.expires_at <= datetime.now(UTC):
            # A WebSocket outlives its token: each new operation is refused once it expired.
            expired = GraphQLError(
                "the access token of this connection has expired: reconnect with a new one",
                extensions={"code": ErrorCode.UNAUTHENTICATED.value})
            if execution.operation_type is OperationType.SUBSCRIPTION:
                raise expired
            execution.result = GraphQLExecutionResult(data=None, errors=[expired])
            yield
            return
        rights = principal.rights if principal is not None else frozenset()
        requirement = self.rules.missing(execution.schema._schema, document,
                                         execution.query, rights)
        if requirement is not None:
            refusal = forbidden(requirement, context)
            _record_denial(context, requirement, execution.operation_name)
            if execution.operation_type is OperationType.SUBSCRIPTION:
                # Strawberry subscribes whatever result is set; an error raised here is
                # what it answers instead.
                raise refusal
            execution.result = GraphQLExecutionResult(data=None, errors=[refusal])
        yield


def _record_denial(context: Context, requirement: Requirement,
                   operation: str | None) -> None:
    principal = context.principal
    if context.audit is None or principal is None:
        return
    context.audit.record(AuditEvent(
        at=datetime.now(UTC), action=AuditAction.DENIED, client_id=principal.client_id,
        user=principal.user, operation=f"graphql {operation or '(anonymous)'}",
        source=context.source, request_id=context.request_id,
        detail={"field": requirement.field, "right": requirement.right.value}))
