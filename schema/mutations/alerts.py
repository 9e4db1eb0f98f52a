"""The alert lifecycle: acknowledge, assign, resolve (see :mod:`risk.alerts.lifecycle` for
where each status may go). Each move runs once per event id, is recorded under the caller,
and is announced to the ``alertChanges`` subscribers once committed."""

from __future__ import annotations

import asyncio
from typing import Annotated, Final

import strawberry

from auth.principal import Right
from portfolio.alerts import ACTOR_LENGTH, AlertAction
from portfolio.write_receipts import IdempotencyConflict, InvalidEventId
from risk.alerts.commands import change_alert
from risk.errors import RiskError
from schema.context import Info
from schema.errors import SchemaError
from schema.mutations.caller import REPLAYED, actor_of, audit_change
from schema.mutations.errors import (
    EventIdConflict,
    InvalidInput,
    NotFound,
    TransitionNotAllowed,
    UserErrorCode,
    input_error,
)
from schema.permissions import needs
from schema.types.alerts import Alert, alert_from_record

__all__ = ["AlertMutations"]

_EVENT_ID: Final = "The id of this command in the sending system: sent again, it answers " \
                   "the first result and moves nothing."
_NAMES: Final[dict[str, str]] = {}


@strawberry.input(description="Acknowledge an open alert: someone has seen it.")
class AcknowledgeAlertInput:
    event_id: str = strawberry.field(description=_EVENT_ID)
    alert_id: strawberry.ID = strawberry.field(
        description="The alert: its global id (`Alert:17`) or its number.")
    note: str | None = strawberry.field(
        default=None, description="Why, or what happens next (kept in the alert's history).")


@strawberry.input(description="Give an alert to someone (again, to reassign it).")
class AssignAlertInput:
    event_id: str = strawberry.field(description=_EVENT_ID)
    alert_id: strawberry.ID = strawberry.field(
        description="The alert: its global id (`Alert:17`) or its number.")
    assignee: str = strawberry.field(description="Who works on it (a login).")
    note: str | None = strawberry.field(
        default=None, description="Why, or what happens next (kept in the alert's history).")


@strawberry.input(description="Close an alert; its rule and subject then cool down.")
class ResolveAlertInput:
    event_id: str = strawberry.field(description=_EVENT_ID)
    alert_id: strawberry.ID = strawberry.field(
        description="The alert: its global id (`Alert:17`) or its number.")
    note: str | None = strawberry.field(default=None, description="Why it is closed.")


@strawberry.type(description="The alert moved (or had, under this event id).")
class AlertChanged:
    alert: Alert = strawberry.field(description="The alert as the move left it.")
    replayed: bool = strawberry.field(description=REPLAYED)


AlertChangeResult = Annotated[
    AlertChanged | InvalidInput | EventIdConflict | NotFound | TransitionNotAllowed,
    strawberry.union(
        "AlertChangeResult", description="The alert as the move left it, or why it did not move.")]


async def _move(info: Info, operation: str, action: AlertAction, event_id: str,
                alert_id: strawberry.ID, note: str | None,
                assignee: str | None = None) -> AlertChangeResult:
    engine = info.context.records
    if engine is None:
        raise SchemaError("this server has no SQL database to record writes in")
    try:
        number = int(str(alert_id))
    except ValueError:
        return NotFound(code=UserErrorCode.NOT_FOUND, message=f"no alert with id {alert_id!r}",
                        field=["input", "alertId"])
    if assignee is not None and not 0 < len(assignee.strip()) <= ACTOR_LENGTH:
        return InvalidInput(code=UserErrorCode.INVALID_VALUE, field=["input", "assignee"],
                            message=f"the assignee must be a name of 1 to {ACTOR_LENGTH} "
                                    "characters")
    try:
        moved = await asyncio.to_thread(
            change_alert, engine, action, number, event_id=event_id, actor=actor_of(info),
            note=note, assignee=assignee, feed=getattr(info.context, "alert_feed", None))
    except (RiskError, IdempotencyConflict, InvalidEventId) as exc:
        return input_error(exc, _NAMES)
    audit_change(info, operation, [f"alert:{number}"],
                 {"event_id": event_id.strip(), "replayed": moved.replayed,
                  "status": moved.alert.status})
    return AlertChanged(alert=alert_from_record(moved.alert), replayed=moved.replayed)


_MANAGE: Final = needs(Right.MANAGE_ALERTS)


@strawberry.type
class AlertMutations:
    @strawberry.mutation(description="Mark an open alert as seen.", metadata=_MANAGE)
    async def acknowledge_alert(
        self, info: Info,
        input_: Annotated[AcknowledgeAlertInput, strawberry.argument(name="input")],
    ) -> AlertChangeResult:
        return await _move(info, "acknowledgeAlert", AlertAction.ACKNOWLEDGED,
                           input_.event_id, input_.alert_id, input_.note)

    @strawberry.mutation(description="Give an alert to someone.", metadata=_MANAGE)
    async def assign_alert(
        self, info: Info,
        input_: Annotated[AssignAlertInput, strawberry.argument(name="input")],
    ) -> AlertChangeResult:
        return await _move(info, "assignAlert", AlertAction.ASSIGNED, input_.event_id,
                           input_.alert_id, input_.note, assignee=input_.assignee)

    @strawberry.mutation(description="Close an alert.", metadata=_MANAGE)
    async def resolve_alert(
        self, info: Info,
        input_: Annotated[ResolveAlertInput, strawberry.argument(name="input")],
    ) -> AlertChangeResult:
        return await _move(info, "resolveAlert", AlertAction.RESOLVED, input_.event_id,
                           input_.alert_id, input_.note)
