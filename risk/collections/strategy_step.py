"""The daily strategy step: assign strategies to new cases, follow up promises to pay, and
execute the actions that are due, under the contact rules.

In order, on a day ``as_of`` at ``now``:

1. **assign** every live case without a strategy and plan its steps
   (:func:`risk.collections.planning.assign_cases`, one transaction);
2. **follow up** the pending promises (:func:`risk.collections.promises.
   follow_up_promises`): kept, or broken and the case escalated;
3. **cancel** the planned actions of cases that ended (cured, written off, closed);
4. **execute** the planned actions due by ``as_of`` of worked cases, a batch of
   borrowers per transaction (their live cases locked first): an action waits while its
   case is on hold or a promise is pending (until the day after its date); a message goes
   on the channel the borrower's preferences choose, at the first instant inside their
   contact hours, unless a frequency limit of that channel is reached (it waits for a
   later step) or every channel was refused (cancelled); it is handed to the
   ``dispatcher`` in the transaction that marks it ``dispatched``; a call, letter, field
   visit or legal referral becomes an ``open`` task.

Every change is a conditional update from ``planned`` (or ``pending``) made in the same
transaction as what goes with it, so the step may run any number of times a day, by any
number of workers: each action is dispatched once, each promise settled once, and the
frequency limits hold across workers (a borrower's counts are read under the lock). A
dispatcher that raises leaves the actions of that transaction's borrowers as they were
(tried again on the next step).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, Final

from sqlalchemy import Connection, Engine, Table, select, update
from sqlalchemy.exc import IntegrityError

from auth.audit_events import AuditSink
from portfolio.collection_strategies import CollectionAction
from portfolio.collections import CollectionCase
from portfolio.money import CURRENCY_EXPONENTS, minor_to_decimal
from risk.collections.actions import OPEN_TASK
from risk.collections.cases import CaseState
from risk.collections.contact import (
    DISPATCHED,
    FrequencyCounter,
    choose_channel,
    contact_preferences,
    send_time,
)
from risk.collections.dispatch import ActionDispatcher, OutgoingAction
from risk.collections.planning import CANCELLED, PLANNED, assign_cases
from risk.collections.promises import follow_up_promises, pending_until
from risk.collections.strategy_config import MESSAGE_KINDS, ActionKind, StrategyConfig

__all__ = ["BORROWERS_PER_TRANSACTION", "StepOutcome", "run_strategy_step"]

#: Borrowers whose due actions one transaction executes (a dispatcher that fails rolls
#: them back together; each is tried again on the next step).
BORROWERS_PER_TRANSACTION: Final = 200

_action: Final[Table] = CollectionAction.__table__  # type: ignore[attr-defined]
_case: Final[Table] = CollectionCase.__table__  # type: ignore[attr-defined]
_CASE_COLUMNS: Final = (_case.c.id, _case.c.loan_id, _case.c.borrower_id, _case.c.state,
                        _case.c.bucket, _case.c.dpd, _case.c.outstanding_minor,
                        _case.c.currency)


@dataclass(slots=True)
class StepOutcome:
    """What one step did (counts; the waits by reason)."""

    as_of: date
    assigned: dict[str, int] = field(default_factory=dict)
    unassigned: int = 0
    promises: dict[str, int] = field(default_factory=lambda: {"kept": 0, "broken": 0})
    escalated: int = 0
    cancelled: int = 0
    dispatched: dict[str, int] = field(default_factory=dict)
    tasks: dict[str, int] = field(default_factory=dict)
    waiting: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    def as_json(self) -> dict[str, Any]:
        return {"as_of": self.as_of.isoformat(), "assigned": self.assigned,
                "unassigned": self.unassigned, "promises": self.promises,
                "escalated": self.escalated, "cancelled": self.cancelled,
                "dispatched": self.dispatched, "tasks": self.tasks, "waiting": self.waiting,
                "seconds": self.seconds}


def _count(into: dict[str, int], key: str) -> None:
    into[key] = into.get(key, 0) + 1


def _cost(config: StrategyConfig, kind: str) -> int:
    cost = config.costs.get(ActionKind(kind), Decimal(0))
    return int(cost.scaleb(CURRENCY_EXPONENTS.get(config.cost_currency, 2))
               .to_integral_value())


def _cancel_ended(engine: Engine, at: datetime) -> int:
    """Cancel the planned actions of cases that ended; how many were cancelled."""
    cancelled = 0
    with engine.begin() as connection:
        rows = connection.execute(select(_action.c.id, _case.c.state).join(
            _case, _case.c.id == _action.c.case_id).where(
            _action.c.status == PLANNED, _case.c.closed_on.is_not(None))).fetchall()
        for action_id, state in rows:
            cancelled += connection.execute(update(_action).where(
                _action.c.id == action_id, _action.c.status == PLANNED).values(
                status=CANCELLED, note=f"the case was {state.replace('_', ' ')} first",
                updated_at=at)).rowcount
    return cancelled


def _wait(connection: Connection, action: Any, note: str, at: datetime,
          outcome: StepOutcome, reason: str) -> None:
    if action.note != note:
        connection.execute(update(_action).where(_action.c.id == action.id,
                                                 _action.c.status == PLANNED)
                           .values(note=note, updated_at=at))
    _count(outcome.waiting, reason)


def _context(case: Any, action: Any) -> dict[str, Any]:
    return {"case": case.id, "loan": case.loan_id, "bucket": case.bucket, "dpd": case.dpd,
            "outstanding": str(minor_to_decimal(case.outstanding_minor, case.currency)),
            "currency": case.currency, "strategy": action.strategy, "step": action.step}


def _execute_case(connection: Connection, case: Any, actions: list[Any], *, as_of: date,
                  now: datetime, at: datetime, config: StrategyConfig,
                  dispatcher: ActionDispatcher, prefs: dict[str, Any],
                  counter: FrequencyCounter, promised: dict[str, date],
                  outcome: StepOutcome) -> list[tuple[str, str]]:
    """Execute ``actions`` of ``case``; the (party, channel) messages it dispatched."""
    sent: list[tuple[str, str]] = []
    for action in actions:
        if case.state == CaseState.ON_HOLD.value:
            _wait(connection, action, "waits: the case is on hold", at, outcome, "on_hold")
            continue
        until = promised.get(case.id)
        if until is not None:
            _wait(connection, action, f"waits: a promise to pay is pending until "
                  f"{until.isoformat()}", at, outcome, "promise")
            continue
        kind = ActionKind(action.kind)
        values: dict[str, Any] = {"executed_on": as_of, "updated_at": at, "note": None,
                                  "cost_minor": _cost(config, action.kind),
                                  "cost_currency": config.cost_currency}
        if kind not in MESSAGE_KINDS:
            moved = connection.execute(update(_action).where(
                _action.c.id == action.id, _action.c.status == PLANNED)
                .values(status=OPEN_TASK, **values)).rowcount
            if moved == 1:
                _count(outcome.tasks, action.kind)
            continue
        preference = prefs.get(case.borrower_id)
        channel = choose_channel(kind, preference, config.contact)
        if channel is None:
            connection.execute(update(_action).where(
                _action.c.id == action.id, _action.c.status == PLANNED).values(
                status=CANCELLED, note="the borrower refused every channel", updated_at=at))
            outcome.cancelled += 1
            continue
        limit = counter.over(case.borrower_id, channel, as_of)
        if limit is not None:
            _wait(connection, action, f"waits: at most {limit.count} {channel} in "
                  f"{limit.days} day(s) per borrower", at, outcome, f"limit:{channel}")
            continue
        not_before = send_time(config.contact, preference.timezone if preference else None,
                               as_of, now)
        moved = connection.execute(update(_action).where(
            _action.c.id == action.id, _action.c.status == PLANNED).values(
            status=DISPATCHED, channel=channel, not_before=not_before, **values)).rowcount
        if moved != 1:
            continue  # another step dispatched it first
        dispatcher.dispatch(connection, OutgoingAction(
            action_id=action.id, key=f"collections:{case.id}:{action.step}", case_id=case.id,
            loan_id=case.loan_id, party_id=case.borrower_id, step=action.step, kind=action.kind,
            channel=channel, not_before=not_before, context=_context(case, action)))
        counter.add(case.borrower_id, channel, as_of)
        sent.append((case.borrower_id, channel))
    return sent


def _execute(engine: Engine, as_of: date, now: datetime, at: datetime,
             config: StrategyConfig, dispatcher: ActionDispatcher,
             outcome: StepOutcome) -> None:
    """Execute the due actions, :data:`BORROWERS_PER_TRANSACTION` borrowers per transaction
    (see :func:`_lock_borrowers`)."""
    with engine.connect() as connection:
        due = connection.execute(
            select(_action.c.id, _action.c.case_id, _action.c.step, _action.c.strategy,
                   _action.c.kind, _action.c.note, _case.c.borrower_id)
            .join(_case, _case.c.id == _action.c.case_id)
            .where(_action.c.status == PLANNED, _action.c.planned_on <= as_of,
                   _case.c.closed_on.is_(None))
            .order_by(_case.c.borrower_id, _action.c.case_id, _action.c.planned_on,
                      _action.c.id)).fetchall()
        by_borrower: dict[str, dict[str, list[Any]]] = {}
        for action in due:
            by_borrower.setdefault(action.borrower_id, {}).setdefault(
                action.case_id, []).append(action)
        prefs = contact_preferences(connection, by_borrower)
    borrowers = list(by_borrower)
    for start in range(0, len(borrowers), BORROWERS_PER_TRANSACTION):
        batch = borrowers[start:start + BORROWERS_PER_TRANSACTION]
        case_ids = sorted(case_id for b in batch for case_id in by_borrower[b])
        sent: list[tuple[str, str]] = []
        with engine.begin() as connection:
            _lock_borrowers(connection, batch)
            # Read under the lock: what other steps sent, promises, holds made meanwhile.
            counter = FrequencyCounter(connection, config.contact.limits, as_of, batch)
            promised = pending_until(connection, case_ids, as_of)
            cases = {row.id: row for row in connection.execute(
                select(*_CASE_COLUMNS).where(_case.c.id.in_(case_ids)))}
            for borrower in batch:
                for case_id, actions in by_borrower[borrower].items():
                    case = cases[case_id]
                    if case.state not in (CaseState.OPEN.value, CaseState.ON_HOLD.value):
                        continue
                    sent += _execute_case(connection, case, actions, as_of=as_of, now=now,
                                          at=at, config=config, dispatcher=dispatcher,
                                          prefs=prefs, counter=counter, promised=promised,
                                          outcome=outcome)
        for _, channel in sent:
            _count(outcome.dispatched, channel)


def _lock_borrowers(connection: Connection, borrowers: list[str]) -> None:
    """Take the write lock on the live cases of ``borrowers`` before reading what they were
    sent: on PostgreSQL the rows are locked in id order (another step working the same
    borrowers waits for this transaction, and two steps never lock in crossed order); the
    no-op update then starts the write transaction on SQLite (one writer at a time). So two
    steps at once never both see room under a frequency limit."""
    live = (_case.c.borrower_id.in_(borrowers), _case.c.closed_on.is_(None))
    connection.execute(select(_case.c.id).where(*live).order_by(_case.c.id)
                       .with_for_update()).fetchall()
    connection.execute(update(_case).where(*live).values(updated_at=_case.c.updated_at))


def run_strategy_step(engine: Engine, as_of: date, *, config: StrategyConfig,
                      dispatcher: ActionDispatcher, audit: AuditSink,
                      client_id: str = "collections",
                      now: Callable[[], datetime] | None = None) -> StepOutcome:
    """Run the strategy step for ``as_of`` (see the module); ``now`` is the clock the
    contact hours are read against (default: the real one).

    Raises:
        CollectionsConfigError: a case is worked by a strategy no longer in ``config``.
    """
    clock = now or (lambda: datetime.now(UTC))
    started = time.perf_counter()
    outcome = StepOutcome(as_of)
    at = clock()
    try:
        with engine.begin() as connection:
            made, outcome.unassigned = assign_cases(connection, as_of, config, at)
    except IntegrityError:
        # Another step assigned some of the same cases first: assign what is left.
        with engine.begin() as connection:
            made, outcome.unassigned = assign_cases(connection, as_of, config, at)
    for assignment in made:
        _count(outcome.assigned, f"{assignment.strategy}/{assignment.arm}")
    for settled in follow_up_promises(engine, as_of, config=config, audit=audit,
                                      client_id=client_id, now=clock):
        outcome.promises[settled.status] += 1
        outcome.escalated += int(settled.escalated)
    outcome.cancelled += _cancel_ended(engine, clock())
    _execute(engine, as_of, clock(), clock(), config, dispatcher, outcome)
    outcome.seconds = round(time.perf_counter() - started, 3)
    return outcome
