"""Where a mutation's service reports its audit events: the request's sink, or, for a
context built without one (scripts, tests that do not look), a sink that keeps nothing."""

from __future__ import annotations

from auth.audit_events import AuditEvent, AuditSink
from schema.context import Context

__all__ = ["audit_sink"]


class _Unrecorded:
    """A sink for contexts without one: the events are dropped, as
    :func:`schema.mutations.caller.audit_change` drops them there."""

    def record(self, event: AuditEvent) -> None:
        del event


def audit_sink(context: Context) -> AuditSink:
    """The sink of ``context``'s audit events."""
    return context.audit if context.audit is not None else _Unrecorded()
