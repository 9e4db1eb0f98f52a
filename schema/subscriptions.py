"""The root ``Subscription``: alert changes as they happen, over ``graphql-transport-ws``
(and collection-case changes: ``caseChanges``, :mod:`schema.post_loan.case_changes`).

``alertChanges`` hears the alert feed (:mod:`risk.alerts.feed`: in-process, or through
Redis pub/sub across workers) and sends each change the caller may see and asked for:

* the caller needs the right to read the portfolio (declared on the field, checked before
  the subscription starts, like any field);
* the stream ends when the caller's access token expires: a subscription never outlives
  the token that opened it (the client reconnects with a fresh one);
* the arguments narrow it down (statuses, severities, subjects, alerts assigned to the
  caller).

Each change carries the alert as it is when the change is sent (read from the records).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from datetime import datetime
from typing import Final

import strawberry

from auth.principal import Right
from portfolio.alerts import AlertStatus
from risk.alerts.feed import AlertChange
from risk.alerts.lifecycle import get_alert
from risk.errors import AlertNotFound
from risk.rules.schema import SEVERITIES
from schema.context import Info
from schema.errors import InvalidArgument, SchemaError
from schema.feed_watch import until_expiry
from schema.permissions import needs
from schema.post_loan.case_changes import CaseChangeEvent, CaseWatch, case_changes
from schema.types.alerts import Alert, alert_from_record

__all__ = ["AlertChangeEvent", "CaseChangeEvent", "Subscription"]

_STATUSES: Final = frozenset(status.value for status in AlertStatus)


@strawberry.type(description="Something happened to an alert.")
class AlertChangeEvent:
    change: str = strawberry.field(description="raised, updated, escalated, acknowledged, "
                                   "assigned or resolved.")
    at: datetime = strawberry.field(description="When it happened.")
    alert: Alert = strawberry.field(description="The alert as it is now.")


def _checked(name: str, values: list[str] | None, allowed: frozenset[str] | None
             ) -> frozenset[str] | None:
    if values is None:
        return None
    if allowed is not None:
        unknown = sorted(set(values) - allowed)
        if unknown:
            raise InvalidArgument(f"{name}: unknown value(s) {', '.join(unknown)}; one of "
                                  f"{', '.join(sorted(allowed))}")
    return frozenset(values)


@strawberry.type(description="Live changes over graphql-transport-ws, filtered by what the "
                 "caller may see.")
class Subscription:
    @strawberry.subscription(
        description="Alerts raised or changed from now on, as they happen. Narrow them with "
        "`statuses`, `severities`, `subjectIds` and `assignedToMe`. The stream ends when the "
        "access token that opened it expires.", metadata=needs(Right.READ_PORTFOLIO))
    async def alert_changes(
        self, info: Info, statuses: list[str] | None = None,
        severities: list[str] | None = None,
        subject_ids: list[strawberry.ID] | None = None, assigned_to_me: bool = False,
    ) -> AsyncGenerator[AlertChangeEvent, None]:
        feed = info.context.alert_feed
        engine = info.context.records
        if feed is None or engine is None:
            raise SchemaError("this server announces no alert changes")
        wanted_statuses = _checked("statuses", statuses, _STATUSES)
        wanted_severities = _checked("severities", severities, frozenset(SEVERITIES))
        wanted_subjects = None if subject_ids is None else frozenset(map(str, subject_ids))
        principal = getattr(info.context, "principal", None)
        me = None if principal is None else (principal.user or principal.subject)
        if assigned_to_me and me is None:
            raise InvalidArgument("assignedToMe: the request has no caller to match")
        expires_at = None if principal is None else principal.expires_at

        def wanted(change: AlertChange) -> bool:
            return ((wanted_statuses is None or change.status in wanted_statuses)
                    and (wanted_severities is None or change.severity in wanted_severities)
                    and (wanted_subjects is None or change.subject_id in wanted_subjects)
                    and (not assigned_to_me or change.assignee in {me, principal.subject}))

        async with feed.subscribe() as changes:
            async for change in until_expiry(changes, expires_at):
                if not wanted(change):
                    continue
                try:
                    record = await asyncio.to_thread(get_alert, engine, change.alert_id)
                except AlertNotFound:
                    continue  # announced by another database's writer
                yield AlertChangeEvent(change=change.change,
                                       at=datetime.fromisoformat(change.at),
                                       alert=alert_from_record(record))

    @strawberry.subscription(
        description="Collection-case changes from now on, as they happen: a person's hold or "
        "resume, and the daily run's openings, bucket moves, cures and closings. Narrow them "
        "with `events`, `states`, `buckets`, `segment` and `loanIds`. The stream ends when "
        "the access token that opened it expires.", metadata=needs(Right.READ_PORTFOLIO))
    async def case_changes(
        self, info: Info, events: list[str] | None = None, states: list[str] | None = None,
        buckets: list[str] | None = None, segment: str | None = None,
        loan_ids: list[strawberry.ID] | None = None,
    ) -> AsyncGenerator[CaseChangeEvent, None]:
        watch = CaseWatch.of(events=events, states=states, buckets=buckets, segment=segment,
                             loan_ids=loan_ids)
        async for event in case_changes(info, watch):
            yield event
