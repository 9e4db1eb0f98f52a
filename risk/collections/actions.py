"""Reading collection actions (a case's, the collectors' open tasks) and closing a task.

An action's life: ``planned`` (waiting for its day, its contact rules, the end of a hold or
of a pending promise: :attr:`ActionView.note` says why) → ``dispatched`` (a message handed
to the dispatcher, with its channel and not-before time) or ``open`` (a task for
collectors: a call, a letter, a field visit, a legal referral) → ``done`` (a collector
closed the task with its outcome, audited); or ``cancelled`` (the case ended first, or the
borrower refused every channel).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, Final

from sqlalchemy import Engine, Table, select, update

from auth.audit_events import AuditAction, AuditEvent, AuditSink
from portfolio.alerts import ACTOR_LENGTH
from portfolio.collection_strategies import CollectionAction
from portfolio.collections import CollectionCase
from portfolio.key_chunks import key_chunks
from portfolio.money import minor_to_decimal
from risk.collections.cases import SYSTEM_ACTOR
from risk.collections.errors import ActionNotFound, ActionRefused, CaseNotFound, CollectionsError
from risk.collections.strategy_config import TASK_KINDS

__all__ = [
    "ACTION_STATUSES",
    "DONE",
    "OPEN_TASK",
    "ActionView",
    "actions_by_id",
    "actions_of_cases",
    "case_actions",
    "complete_task",
    "list_tasks",
]

OPEN_TASK: Final = "open"
DONE: Final = "done"
ACTION_STATUSES: Final = ("planned", "dispatched", OPEN_TASK, DONE, "cancelled")
DEFAULT_TASKS_LISTED: Final = 100

_action: Final[Table] = CollectionAction.__table__  # type: ignore[attr-defined]
_case: Final[Table] = CollectionCase.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True, slots=True)
class ActionView:
    id: int
    case_id: str
    step: str
    strategy: str
    kind: str
    party_id: str
    planned_on: date
    status: str
    channel: str | None
    not_before: datetime | None
    executed_on: date | None
    cost_minor: int | None
    cost_currency: str | None
    note: str | None
    done_by: str | None
    updated_at: datetime

    def as_json(self) -> dict[str, Any]:
        return {"id": self.id, "case": self.case_id, "step": self.step,
                "strategy": self.strategy, "kind": self.kind, "party": self.party_id,
                "planned_on": self.planned_on.isoformat(), "status": self.status,
                "channel": self.channel,
                "not_before": None if self.not_before is None else self.not_before.isoformat(),
                "executed_on": None if self.executed_on is None
                else self.executed_on.isoformat(),
                "cost": None if self.cost_minor is None or self.cost_currency is None
                else str(minor_to_decimal(self.cost_minor, self.cost_currency)),
                "cost_currency": self.cost_currency, "note": self.note,
                "done_by": self.done_by}


_COLUMNS: Final = ActionView.__slots__


def _view(row: Any) -> ActionView:
    return ActionView(**{name: getattr(row, name) for name in _COLUMNS})


def case_actions(engine: Engine, case_id: str) -> list[ActionView]:
    """Every action of case ``case_id``, in plan order.

    Raises:
        CaseNotFound: no such case.
    """
    with engine.connect() as connection:
        if connection.execute(select(_case.c.id).where(_case.c.id == case_id)).first() is None:
            raise CaseNotFound(case_id)
        rows = connection.execute(select(*[_action.c[n] for n in _COLUMNS]).where(
            _action.c.case_id == case_id).order_by(_action.c.planned_on, _action.c.id))
        return [_view(row) for row in rows]


def actions_of_cases(engine: Engine, case_ids: Sequence[str]) -> dict[str, list[ActionView]]:
    """The actions of each case of ``case_ids``, in plan order (cases without any absent)."""
    found: dict[str, list[ActionView]] = {}
    with engine.connect() as connection:
        for chunk in key_chunks(case_ids):
            rows = connection.execute(select(*[_action.c[n] for n in _COLUMNS]).where(
                _action.c.case_id.in_(chunk)).order_by(
                _action.c.case_id, _action.c.planned_on, _action.c.id))
            for row in rows:
                found.setdefault(row.case_id, []).append(_view(row))
    return found


def actions_by_id(engine: Engine, action_ids: Sequence[int]) -> dict[int, ActionView]:
    """The actions of ``action_ids`` that exist (``node(id:)`` reads them by number)."""
    found: dict[int, ActionView] = {}
    with engine.connect() as connection:
        for chunk in key_chunks(action_ids):
            for row in connection.execute(select(*[_action.c[n] for n in _COLUMNS]).where(
                    _action.c.id.in_(chunk))):
                found[row.id] = _view(row)
    return found


def list_tasks(engine: Engine, *, kinds: list[str] | None = None,
               statuses: list[str] | None = None,
               limit: int = DEFAULT_TASKS_LISTED) -> list[ActionView]:
    """Collectors' tasks (open by default), the oldest first."""
    chosen = statuses or [OPEN_TASK]
    unknown = sorted(set(chosen) - set(ACTION_STATUSES))
    if unknown:
        raise CollectionsError(f"unknown action status(es): {', '.join(unknown)}; known: "
                               f"{', '.join(ACTION_STATUSES)}")
    statement = select(*[_action.c[n] for n in _COLUMNS]).where(
        _action.c.status.in_(chosen), _action.c.kind.in_(sorted(TASK_KINDS)))
    if kinds:
        statement = statement.where(_action.c.kind.in_(kinds))
    statement = statement.order_by(_action.c.executed_on, _action.c.id).limit(limit)
    with engine.connect() as connection:
        return [_view(row) for row in connection.execute(statement)]


def complete_task(engine: Engine, action_id: int, *, actor: str, outcome: str,
                  audit: AuditSink, client_id: str = "cli",
                  now: Callable[[], datetime] | None = None) -> ActionView:
    """Close an open task with what came of it (the call's answer, the visit's finding),
    recorded with who, and audited.

    Raises:
        ActionNotFound: no such action.
        ActionRefused: the action is not an open task.
        CollectionsError: no actor or no outcome.
    """
    who = actor.strip()
    if not who or who == SYSTEM_ACTOR or len(who) > ACTOR_LENGTH:
        raise CollectionsError("closing a task needs the user's login as its actor")
    if not outcome.strip():
        raise CollectionsError("say what came of the task", suggestion="give --outcome TEXT")
    at = (now or (lambda: datetime.now(UTC)))()
    with engine.begin() as connection:
        row = connection.execute(select(_action.c.status, _action.c.case_id, _action.c.kind)
                                 .where(_action.c.id == action_id).with_for_update()).first()
        if row is None:
            raise ActionNotFound(action_id)
        if row.status != OPEN_TASK:
            raise ActionRefused(action_id, row.status, "only an open task can be closed")
        connection.execute(update(_action).where(_action.c.id == action_id).values(
            status=DONE, done_by=who, note=outcome.strip(), updated_at=at))
    audit.record(AuditEvent(
        at=at, action=AuditAction.CHANGE, client_id=client_id, user=who,
        operation="collections task done", targets=(row.case_id, f"action:{action_id}"),
        source=client_id, detail={"kind": row.kind, "outcome": outcome.strip()}))
    with engine.connect() as connection:
        return _view(connection.execute(select(*[_action.c[n] for n in _COLUMNS])
                                        .where(_action.c.id == action_id)).one())
