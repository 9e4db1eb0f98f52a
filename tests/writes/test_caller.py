"""Who a write is recorded under, and what the audit trail hears of it."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from auth.audit_events import AuditAction, AuditEvent
from auth.principal import Principal, Role
from schema.mutations.caller import ANONYMOUS_ACTOR, actor_of, audit_change


class ListSink:
    def __init__(self) -> None:
        self.events: list[AuditEvent] = []

    def record(self, event: AuditEvent) -> None:
        self.events.append(event)


def _info(**context: Any) -> Any:
    return SimpleNamespace(context=SimpleNamespace(**context))


ANN = Principal(subject="user:ann", client_id="web", role=Role.COLLECTOR,
                scopes=frozenset({"records:write"}), user="ann")


def test_a_write_is_recorded_under_the_principal_or_the_anonymous_actor() -> None:
    assert actor_of(_info(principal=ANN)) == "user:ann"
    assert actor_of(_info()) == ANONYMOUS_ACTOR


def test_an_accepted_write_reaches_the_audit_sink_as_a_change() -> None:
    sink = ListSink()
    info = _info(principal=ANN, audit=sink, request_id="req-7", source="10.0.0.5")

    audit_change(info, "recordRepayment", ["R1"], {"event_id": "e1", "replayed": False})
    audit_change(_info(principal=ANN), "recordRepayment", ["R2"], {})  # no sink: nothing

    [event] = sink.events
    assert (event.action, event.client_id, event.user, event.operation, event.targets,
            event.request_id, event.source, dict(event.detail)) == (
        AuditAction.CHANGE, "web", "ann", "mutation recordRepayment", ("R1",), "req-7",
        "10.0.0.5", {"event_id": "e1", "replayed": False})
