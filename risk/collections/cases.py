"""Collection cases as a state machine: the states, the events that move a case between
them, who may cause each, and the user transitions (hold, resume) with their trail.

States and transitions (nothing else is allowed; :data:`TRANSITIONS` is the table)::

    (none)   --opened-->       open          the daily run: the loan entered a delinquent bucket
    open     --moved-->        open          the daily run: another delinquent bucket
    on_hold  --moved-->        on_hold
    open     --held-->         on_hold       a user: collection work paused (dispute, hardship
                                             review, a proposal under consideration)
    on_hold  --resumed-->      open          a user
    open|on_hold --cured-->    cured         the daily run: back in the current bucket
    open|on_hold --written_off--> written_off  the daily run: the loan was written off
    open|on_hold --closed-->   closed        the daily run: the loan was closed (settled)
    open|on_hold --escalated--> open         the strategy step: a promise to pay was broken
                                             (a case on hold is worked again)

``cured``, ``written_off`` and ``closed`` are final; a cured loan that falls behind again
gets a new case (its behaviour segment then says ``repeat``). Every transition is a
:class:`portfolio.collections.CaseEvent` row (append-only) with the actor (``system`` or a
user's login), the reason and the day, and an :class:`auth.audit_events.AuditEvent` handed
to the caller's sink once the row is committed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any, Final

from sqlalchemy import Engine, Table, func, insert, select, update

from auth.audit_events import AuditAction, AuditEvent, AuditSink
from portfolio.alert_follow_ups import AlertFollowUp
from portfolio.collections import CaseEvent, CollectionCase
from risk.collections.errors import CaseNotFound, CaseTransitionRefused, CollectionsError
from risk.collections.feed import CaseChange, CaseFeed

__all__ = [
    "FINAL_STATES",
    "SYSTEM_ACTOR",
    "TRANSITIONS",
    "USER_EVENTS",
    "CaseEventKind",
    "CaseHistoryEntry",
    "CaseState",
    "CaseTrigger",
    "CaseView",
    "audit_event",
    "get_case",
    "list_cases",
    "next_state",
    "transition_case",
    "trigger_of",
]

#: The actor of what the daily run does.
SYSTEM_ACTOR: Final = "system"
DEFAULT_CASES_LISTED: Final = 100

_case: Final[Table] = CollectionCase.__table__  # type: ignore[attr-defined]
_event: Final[Table] = CaseEvent.__table__  # type: ignore[attr-defined]
_trigger: Final[Table] = AlertFollowUp.__table__  # type: ignore[attr-defined]


class CaseState(StrEnum):
    OPEN = "open"
    ON_HOLD = "on_hold"
    CURED = "cured"
    WRITTEN_OFF = "written_off"
    CLOSED = "closed"


class CaseEventKind(StrEnum):
    OPENED = "opened"
    MOVED = "moved"
    HELD = "held"
    RESUMED = "resumed"
    CURED = "cured"
    WRITTEN_OFF = "written_off"
    CLOSED = "closed"
    ESCALATED = "escalated"


FINAL_STATES: Final = frozenset({CaseState.CURED, CaseState.WRITTEN_OFF, CaseState.CLOSED})
_WORKED: Final = frozenset({CaseState.OPEN, CaseState.ON_HOLD})

#: event -> (the states it may leave, the state it leads to; ``None``: the same state).
#: ``opened`` leaves no state (a new case).
TRANSITIONS: Final[dict[CaseEventKind, tuple[frozenset[CaseState | None], CaseState | None]]] = {
    CaseEventKind.OPENED: (frozenset({None}), CaseState.OPEN),
    CaseEventKind.MOVED: (_WORKED, None),
    CaseEventKind.HELD: (frozenset({CaseState.OPEN}), CaseState.ON_HOLD),
    CaseEventKind.RESUMED: (frozenset({CaseState.ON_HOLD}), CaseState.OPEN),
    CaseEventKind.CURED: (_WORKED, CaseState.CURED),
    CaseEventKind.WRITTEN_OFF: (_WORKED, CaseState.WRITTEN_OFF),
    CaseEventKind.CLOSED: (_WORKED, CaseState.CLOSED),
    CaseEventKind.ESCALATED: (_WORKED, CaseState.OPEN),
}
#: The events a user may cause (``closed``: the case needs no more work, say a case the
#: event flow opened on a loan that was never behind); the others are the daily run's
#: (and ``escalated`` the strategy step's).
USER_EVENTS: Final = frozenset({CaseEventKind.HELD, CaseEventKind.RESUMED,
                                CaseEventKind.CLOSED})


def next_state(case_id: str, state: CaseState | None, event: CaseEventKind) -> CaseState:
    """The state ``event`` takes a case in ``state`` to.

    Raises:
        CaseTransitionRefused: ``event`` may not leave ``state`` (the message lists what
            may).
    """
    leaves, to = TRANSITIONS[event]
    if state not in leaves:
        allowed = sorted(e.value for e, (sources, _) in TRANSITIONS.items() if state in sources)
        raise CaseTransitionRefused(case_id, "new" if state is None else state.value,
                                    event.value, allowed)
    assert to is not None or state is not None
    return to if to is not None else state  # type: ignore[return-value]


def audit_event(*, case_id: str, loan_id: str, event: CaseEventKind, from_state: str | None,
                to_state: str, actor: str, reason: str, effective_on: date, at: datetime,
                client_id: str, detail: dict[str, Any] | None = None) -> AuditEvent:
    """The audit-trail entry of one case transition."""
    return AuditEvent(
        at=at, action=AuditAction.CHANGE, client_id=client_id,
        user=None if actor == SYSTEM_ACTOR else actor,
        operation=f"collections case {event.value}", targets=(case_id, loan_id),
        source=client_id,
        detail={"actor": actor, "from_state": from_state, "to_state": to_state,
                "reason": reason, "effective_on": effective_on.isoformat(), **(detail or {})})


@dataclass(frozen=True, slots=True)
class CaseHistoryEntry:
    seq: int
    event: str
    from_state: str | None
    to_state: str
    from_bucket: str | None
    to_bucket: str | None
    dpd: int | None
    effective_on: date
    actor: str
    reason: str
    run_id: int | None
    recorded_at: datetime

    def as_json(self) -> dict[str, Any]:
        return {"seq": self.seq, "event": self.event, "from_state": self.from_state,
                "to_state": self.to_state, "from_bucket": self.from_bucket,
                "to_bucket": self.to_bucket, "dpd": self.dpd,
                "effective_on": self.effective_on.isoformat(), "actor": self.actor,
                "reason": self.reason, "run": self.run_id,
                "recorded_at": self.recorded_at.isoformat()}


@dataclass(frozen=True, slots=True)
class CaseTrigger:
    """A serious alert that opened the case, or was attached to it, by the event flow
    (:mod:`risk.flow`): the alert, the event that re-scored it, and the graph path that
    raised it (``{"nodes": [{"id", "label"}], "edges": [{"type", "source", "target",
    "key"}]}``, the alert's evidence as it stood)."""

    alert_id: int
    rule_id: str
    severity: str
    event_id: str
    review_id: int | None
    path: dict[str, Any]
    recorded_at: datetime

    def as_json(self) -> dict[str, Any]:
        return {"alert": self.alert_id, "rule": self.rule_id, "severity": self.severity,
                "event": self.event_id, "review": self.review_id, "path": self.path,
                "recorded_at": self.recorded_at.isoformat()}


def trigger_of(row: Any) -> CaseTrigger:
    """The trigger an ``alert_follow_up`` row records."""
    return CaseTrigger(alert_id=row.alert_id, rule_id=row.rule_id, severity=row.severity,
                       event_id=row.event_id, review_id=row.review_id, path=dict(row.path),
                       recorded_at=row.created_at)


@dataclass(frozen=True, slots=True)
class CaseView:
    """A case as stored, with its transitions (oldest first) when asked for."""

    id: str
    loan_id: str
    borrower_id: str
    state: str
    opened_on: date
    closed_on: date | None
    bucket: str
    bucket_since: date
    dpd: int
    as_of: date
    currency: str
    outstanding_minor: int
    risk_tier: str
    balance_band: str
    behaviour: str
    segment: str
    history: tuple[CaseHistoryEntry, ...] = ()
    #: What opened the case from a network signal (with its transitions, when asked for).
    triggers: tuple[CaseTrigger, ...] = ()

    def as_json(self) -> dict[str, Any]:
        return {"id": self.id, "loan": self.loan_id, "borrower": self.borrower_id,
                "state": self.state, "opened_on": self.opened_on.isoformat(),
                "closed_on": None if self.closed_on is None else self.closed_on.isoformat(),
                "bucket": self.bucket, "bucket_since": self.bucket_since.isoformat(),
                "dpd": self.dpd, "as_of": self.as_of.isoformat(), "currency": self.currency,
                "outstanding_minor": self.outstanding_minor,
                "segment": {"risk_tier": self.risk_tier, "balance_band": self.balance_band,
                            "behaviour": self.behaviour, "key": self.segment},
                "history": [h.as_json() for h in self.history],
                "triggers": [t.as_json() for t in self.triggers]}


_VIEW_COLUMNS: Final = ("id", "loan_id", "borrower_id", "state", "opened_on", "closed_on",
                        "bucket", "bucket_since", "dpd", "as_of", "currency",
                        "outstanding_minor", "risk_tier", "balance_band", "behaviour",
                        "segment")


def _view(row: Any, history: Sequence[CaseHistoryEntry] = (),
          triggers: Sequence[CaseTrigger] = ()) -> CaseView:
    return CaseView(**{name: getattr(row, name) for name in _VIEW_COLUMNS},
                    history=tuple(history), triggers=tuple(triggers))


def get_case(engine: Engine, case_id: str) -> CaseView:
    """Case ``case_id`` with its transitions.

    Raises:
        CaseNotFound: no such case.
    """
    with engine.connect() as connection:
        row = connection.execute(select(*[_case.c[n] for n in _VIEW_COLUMNS])
                                 .where(_case.c.id == case_id)).first()
        if row is None:
            raise CaseNotFound(case_id)
        events = connection.execute(select(_event).where(_event.c.case_id == case_id)
                                    .order_by(_event.c.seq)).fetchall()
        triggers = [trigger_of(t) for t in connection.execute(select(_trigger).where(
                        _trigger.c.case_id == case_id).order_by(_trigger.c.id))]
    return _view(row, [CaseHistoryEntry(
        seq=e.seq, event=e.event, from_state=e.from_state, to_state=e.to_state,
        from_bucket=e.from_bucket, to_bucket=e.to_bucket, dpd=e.dpd,
        effective_on=e.effective_on, actor=e.actor, reason=e.reason, run_id=e.run_id,
        recorded_at=e.recorded_at) for e in events], triggers)


def list_cases(engine: Engine, *, states: Sequence[str] | None = None,
               loan_id: str | None = None, segment: str | None = None,
               limit: int = DEFAULT_CASES_LISTED) -> list[CaseView]:
    """Cases (without their transitions), the most days past due first; ``states``,
    ``loan_id`` and ``segment`` narrow the list. A strategy engine reads its work here,
    by segment."""
    statement = select(*[_case.c[n] for n in _VIEW_COLUMNS])
    if states:
        unknown = sorted(set(states) - {s.value for s in CaseState})
        if unknown:
            raise CollectionsError(f"unknown case state(s): {', '.join(unknown)}; known: "
                                   f"{', '.join(s.value for s in CaseState)}")
        statement = statement.where(_case.c.state.in_(list(states)))
    if loan_id is not None:
        statement = statement.where(_case.c.loan_id == loan_id)
    if segment is not None:
        statement = statement.where(_case.c.segment == segment)
    statement = statement.order_by(_case.c.dpd.desc(), _case.c.id).limit(limit)
    with engine.connect() as connection:
        return [_view(row) for row in connection.execute(statement)]


def transition_case(engine: Engine, case_id: str, event: CaseEventKind, *, actor: str,
                    reason: str, audit: AuditSink, client_id: str = "cli",
                    on: date | None = None,
                    now: Callable[[], datetime] | None = None,
                    feed: CaseFeed | None = None) -> CaseView:
    """A user's transition of a case (``held`` or ``resumed``), recorded with who and why,
    in one transaction, then reported to ``audit`` and announced on ``feed``.

    Raises:
        CollectionsError: ``event`` is the daily run's, or ``actor``/``reason`` is empty.
        CaseNotFound: no such case.
        CaseTransitionRefused: the case's state does not allow ``event``.
    """
    if event not in USER_EVENTS:
        raise CollectionsError(f"{event.value} is done by the daily collections run, not by "
                               "a user", suggestion="a user may: " + ", ".join(
                                   sorted(e.value for e in USER_EVENTS)))
    if not actor.strip() or actor.strip() == SYSTEM_ACTOR:
        raise CollectionsError("a user transition needs the user's login as its actor")
    if not reason.strip():
        raise CollectionsError(f"say why the case is {event.value}",
                               suggestion="give --reason TEXT")
    at = (now or (lambda: datetime.now(UTC)))()
    day = on or at.date()
    with engine.begin() as connection:
        row = connection.execute(select(_case.c.state, _case.c.loan_id, _case.c.bucket,
                                        _case.c.dpd).where(_case.c.id == case_id)
                                 .with_for_update()).first()
        if row is None:
            raise CaseNotFound(case_id)
        state = CaseState(row.state)
        to = next_state(case_id, state, event)
        seq = connection.execute(select(func.max(_event.c.seq))
                                 .where(_event.c.case_id == case_id)).scalar() or 0
        connection.execute(insert(_event), [{
            "case_id": case_id, "seq": seq + 1, "event": event.value,
            "from_state": state.value, "to_state": to.value, "from_bucket": row.bucket,
            "to_bucket": row.bucket, "dpd": row.dpd, "effective_on": day,
            "actor": actor.strip(), "reason": reason.strip(), "run_id": None,
            "recorded_at": at}])
        ended = {"closed_on": day} if to in FINAL_STATES else {}
        connection.execute(update(_case).where(_case.c.id == case_id)
                           .values(state=to.value, updated_at=at, **ended))
    audit.record(audit_event(case_id=case_id, loan_id=row.loan_id, event=event,
                             from_state=state.value, to_state=to.value, actor=actor.strip(),
                             reason=reason.strip(), effective_on=day, at=at,
                             client_id=client_id))
    view = get_case(engine, case_id)
    if feed is not None:
        feed.publish(CaseChange(case_id=case_id, loan_id=view.loan_id, event=event.value,
                                from_state=state.value, state=to.value, bucket=view.bucket,
                                segment=view.segment, actor=actor.strip(),
                                at=at.isoformat()))
    return view
