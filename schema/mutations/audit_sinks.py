"""Where a mutation's service reports its audit events: the request's sink, or, for a
context built without one (scripts, tests that do not look), a sink that keeps nothing;
:class:`RequestSink` also stamps each event with the request's client, address and id."""

from __future__ import annotations

from dataclasses import replace

from auth.audit_events import AuditEvent, AuditSink
from schema.context import Context, Info

__all__ = ["RequestSink", "audit_sink"]


class _Unrecorded:
    """A sink for contexts without one: the events are dropped, as
    :func:`schema.mutations.caller.audit_change` drops them there."""

    def record(self, event: AuditEvent) -> None:
        del event


def audit_sink(context: Context) -> AuditSink:
    """The sink of ``context``'s audit events."""
    return context.audit if context.audit is not None else _Unrecorded()


class RequestSink:
    """Hands the service's audit events to the request's sink with the request's client,
    address and id."""

    def __init__(self, info: Info) -> None:
        context = info.context
        self._sink: AuditSink | None = getattr(context, "audit", None)
        principal = getattr(context, "principal", None)
        self._client = "anonymous" if principal is None else principal.client_id
        self._source = getattr(context, "source", "")
        self._request = getattr(context, "request_id", "")

    def record(self, event: AuditEvent) -> None:
        if self._sink is not None:
            self._sink.record(replace(event, client_id=self._client, source=self._source,
                                      request_id=self._request))
