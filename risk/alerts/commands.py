"""The alert lifecycle as the API drives it: each move once per event id, announced on the
alert feed once it is committed.

:func:`change_alert` runs one move of :mod:`risk.alerts.lifecycle` (acknowledge, assign,
resolve) in the same transaction as its receipt (:func:`portfolio.write_receipts.run_once`),
so a client that sends the same command twice (a retry after a timeout) moves the alert
once and gets the same answer twice, and a different command under the same event id is a
conflict. The answer is the alert as the move left it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from sqlalchemy import Connection, Engine
from sqlmodel import Session, col, select

from portfolio.alerts import Alert, AlertAction, AlertStatus
from portfolio.write_receipts import run_once
from risk.alerts.feed import AlertChange, AlertFeed
from risk.alerts.lifecycle import RaiseOutcome, move_in
from risk.errors import RiskError

__all__ = ["ANNOUNCED_OUTCOMES", "MOVES", "AlertMoved", "alert_change", "announce_outcomes",
           "change_alert"]

#: The outcomes of raising that change an alert, and so are announced.
ANNOUNCED_OUTCOMES: Final = frozenset({"raised", "updated", "escalated"})

_IDS_PER_QUERY: Final = 500

#: The status each action moves an alert to.
MOVES: Final[dict[AlertAction, AlertStatus]] = {
    AlertAction.ACKNOWLEDGED: AlertStatus.ACKNOWLEDGED,
    AlertAction.ASSIGNED: AlertStatus.ASSIGNED,
    AlertAction.RESOLVED: AlertStatus.RESOLVED,
}


@dataclass(frozen=True, slots=True)
class AlertMoved:
    """The alert as the move left it, and whether the command was a replay."""

    alert: Alert
    replayed: bool


def alert_change(alert: Alert, change: str) -> AlertChange:
    """The feed's message about ``alert`` after ``change``."""
    assert alert.id is not None
    return AlertChange(alert_id=alert.id, change=change, status=alert.status,
                       severity=alert.severity, subject_kind=alert.subject_kind,
                       subject_id=alert.subject_id, assignee=alert.assignee,
                       at=alert.updated_at.isoformat())


def change_alert(engine: Engine, action: AlertAction, alert_id: int, *, event_id: str,
                 actor: str, note: str | None = None, assignee: str | None = None,
                 feed: AlertFeed | None = None, at: datetime | None = None) -> AlertMoved:
    """Move alert ``alert_id`` by ``action`` once per ``event_id``; announce it on ``feed``.

    Raises:
        AlertNotFound, InvalidTransition, RiskError: as :mod:`risk.alerts.lifecycle`;
            nothing was written.
        IdempotencyConflict: ``event_id`` was used by another command.
    """
    to = MOVES.get(action)
    if to is None:
        raise RiskError(f"{action.value!r} is not a move of the alert lifecycle")
    if (assignee is None) == (action is AlertAction.ASSIGNED):
        raise RiskError("an assignee is required to assign an alert, and only then")
    payload = {"alert_id": alert_id, "note": note, "assignee": assignee}
    if assignee is not None:
        note = f"assigned to {assignee.strip()}" if note is None \
            else f"assigned to {assignee.strip()}: {note}"

    def write(connection: Connection) -> dict[str, Any]:
        with Session(bind=connection, expire_on_commit=False) as session:
            alert = move_in(session, alert_id, to, action, actor=actor, note=note, at=at,
                            assignee=assignee)
            return alert.model_dump(mode="json")

    once = run_once(engine, f"alert:{action.value}", event_id, payload, actor=actor,
                    write=write, at=at)
    alert = Alert.model_validate(once.result)
    if feed is not None and not once.replayed:
        feed.publish(alert_change(alert, action.value))
    return AlertMoved(alert, once.replayed)


def announce_outcomes(engine: Engine, feed: AlertFeed, outcomes: Sequence[RaiseOutcome]) -> int:
    """Announce on ``feed`` every alert a run raised, updated or escalated (call it once the
    run's transaction is committed); return how many were announced.

    The alerts are read back in a few queries, so that a change says each alert's status
    as it is (an updated alert may be acknowledged or assigned).
    """
    changed = {o.alert_id: o.outcome for o in outcomes if o.outcome in ANNOUNCED_OUTCOMES}
    ids = list(changed)
    with Session(engine) as session:
        for start in range(0, len(ids), _IDS_PER_QUERY):
            chunk = ids[start:start + _IDS_PER_QUERY]
            for alert in session.exec(select(Alert).where(col(Alert.id).in_(chunk))):
                assert alert.id is not None
                feed.publish(alert_change(alert, changed[alert.id]))
    return len(ids)
