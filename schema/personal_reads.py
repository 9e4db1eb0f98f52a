"""Which personal data a request served in clear, sent to the audit trail once per request.

Fields holding personal data are declared ``personal()`` (:mod:`schema.permissions`).
:func:`watch_personal_fields` wraps the resolver of each such field, once, when the schema
is built: when the caller may see personal data (:attr:`schema.context.Context.
personal_data_visible`) and the field returns a value, the wrapper notes the field and
the id of the node it belongs to. :class:`PersonalReads` collects these notes for one
operation and, at its end, sends ONE :class:`auth.audit_events.AuditEvent`
(``READ_PERSONAL``) naming every node id and field to the context's sink. A masked answer
is not recorded: nothing personal left.

The node of a field is its object's ``node`` (a :class:`graph.model.Node`: its id, and
only if its label has personal properties at all), else the object's ``node_id`` or
``id`` attribute. An object whose ``personal`` attribute is ``False`` says this value is
not personal (a PD reason code built from a non-personal feature).
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final

from graphql import GraphQLObjectType, GraphQLResolveInfo, GraphQLSchema, default_field_resolver
from strawberry.extensions import SchemaExtension

from auth.audit_events import AuditAction, AuditEvent
from graph.model import Node
from graph.personal_data import PERSONAL_PROPERTIES
from schema.authorization import DEFINITION_KEY
from schema.context import Context
from schema.permissions import holds_personal_data

__all__ = ["PersonalReads", "ReadsInClear", "watch_personal_fields"]

#: Labels of nodes that have personal properties at all.
_PERSONAL_LABELS: Final = frozenset(entry.label for entry in PERSONAL_PROPERTIES)


@dataclass(slots=True)
class ReadsInClear:
    """The node ids and fields one operation served in clear."""

    targets: dict[str, None] = field(default_factory=dict)
    fields: dict[str, None] = field(default_factory=dict)

    def note(self, source: object, coordinate: str) -> None:
        node_id = _node_id_of(source)
        if node_id is None:
            return
        self.targets.setdefault(node_id, None)
        self.fields.setdefault(coordinate, None)


_reads: ContextVar[ReadsInClear | None] = ContextVar("loanwatch_personal_reads", default=None)


def _node_id_of(source: object) -> str | None:
    if getattr(source, "personal", True) is False:
        return None
    node = getattr(source, "node", None)
    if isinstance(node, Node):
        return node.id if node.label in _PERSONAL_LABELS else None
    for attribute in ("node_id", "id"):
        value = getattr(source, attribute, None)
        if value is not None:
            return str(value)
    return None


def _watching(resolve: Callable[..., Any], coordinate: str) -> Callable[..., Any]:
    async def noted(result: Awaitable[Any], source: object, reads: ReadsInClear) -> Any:
        value = await result
        if value is not None:
            reads.note(source, coordinate)
        return value

    def watched(source: object, info: GraphQLResolveInfo, **arguments: Any) -> Any:
        result = resolve(source, info, **arguments)
        context = info.context
        reads = _reads.get()
        if reads is None or not isinstance(context, Context) \
                or not context.personal_data_visible:
            return result
        if inspect.isawaitable(result):
            return noted(result, source, reads)
        if result is not None:
            reads.note(source, coordinate)
        return result

    return watched


def watch_personal_fields(schema: GraphQLSchema) -> list[str]:
    """Wrap the resolver of every field of ``schema`` declared ``personal()`` (module
    docstring); returns their coordinates ("Type.field")."""
    watched: list[str] = []
    for type_ in schema.type_map.values():
        if type_.name.startswith("__") or not isinstance(type_, GraphQLObjectType):
            continue
        for name, graphql_field in type_.fields.items():
            definition = (graphql_field.extensions or {}).get(DEFINITION_KEY)
            if not holds_personal_data(getattr(definition, "metadata", None)):
                continue
            coordinate = f"{type_.name}.{name}"
            graphql_field.resolve = _watching(graphql_field.resolve or default_field_resolver,
                                              coordinate)
            watched.append(coordinate)
    return watched


class PersonalReads(SchemaExtension):
    """Collect the personal data one operation serves in clear; at its end, send one
    ``READ_PERSONAL`` audit event to the context's sink (module docstring). A
    subscription (or any streamed operation) sends one per result it streams."""

    def __init__(self) -> None:
        self.reads = ReadsInClear()

    def on_operation(self) -> Iterator[None]:
        token = _reads.set(self.reads)
        try:
            yield
        finally:
            _reads.reset(token)
        self._flush()

    def on_stream_result(self, result: object) -> Iterator[None]:
        self._flush()
        yield

    def _flush(self) -> None:
        reads, context = self.reads, self.execution_context.context
        if not reads.targets or not isinstance(context, Context) or context.audit is None:
            return
        principal = context.principal
        context.audit.record(AuditEvent(
            at=datetime.now(UTC), action=AuditAction.READ_PERSONAL,
            client_id=principal.client_id if principal else "",
            user=principal.user if principal else None,
            operation=f"graphql {self.execution_context.operation_name or '(anonymous)'}",
            targets=tuple(reads.targets), source=context.source,
            request_id=context.request_id, detail={"fields": sorted(reads.fields)}))
        reads.targets.clear()
        reads.fields.clear()
