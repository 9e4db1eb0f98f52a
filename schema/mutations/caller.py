"""Who is writing, as the services and the audit trail name them.

The caller is the request's :class:`auth.principal.Principal` when the API authenticates
(the context's ``principal``); writes are recorded under its subject (``user:<login>`` or
``client:<id>``). Every accepted write, replay or not, is reported to the context's audit
sink as an :data:`auth.audit_events.AuditAction.CHANGE` naming what it touched.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Final

from auth.audit_events import AuditAction, AuditEvent
from schema.context import Info

__all__ = ["ANONYMOUS_ACTOR", "REPLAYED", "actor_of", "audit_change"]

#: The description of every write result's ``replayed`` field.
REPLAYED: Final = "This event id had been recorded before; nothing was written now."
#: The actor of a write made without a principal (a development server without tokens).
ANONYMOUS_ACTOR: Final = "api"


def actor_of(info: Info) -> str:
    """The name writes of this request are recorded under."""
    principal = getattr(info.context, "principal", None)
    return ANONYMOUS_ACTOR if principal is None else principal.subject


def audit_change(info: Info, operation: str, targets: Iterable[str],
                 detail: Mapping[str, object]) -> None:
    """Tell the context's audit sink (when it has one) that ``operation`` changed
    ``targets``."""
    context = info.context
    sink = getattr(context, "audit", None)
    if sink is None:
        return
    principal = getattr(context, "principal", None)
    sink.record(AuditEvent(
        at=datetime.now(UTC), action=AuditAction.CHANGE,
        client_id="anonymous" if principal is None else principal.client_id,
        user=None if principal is None else principal.user,
        operation=f"mutation {operation}", targets=tuple(targets),
        source=getattr(context, "source", ""), request_id=getattr(context, "request_id", ""),
        detail=dict(detail)))
