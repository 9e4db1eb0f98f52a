"""The life of an alert: raised (deduplicated, cooled down), acknowledged, assigned, resolved.

Every function takes the SQL ``Engine`` and plain values, writes the alert and its
:class:`portfolio.alerts.AlertEvent` in one transaction (so a failure leaves nothing
half-written) and names the actor the caller gives: the command-line user today, the OAuth
subject once the API writes. Statuses move only forward::

    open ──> acknowledged ──> assigned ──> resolved
      │            └────────────────────────^ │
      └──> assigned (again: reassigned) ──────┘
      └──> resolved

Raising follows two rules. *Deduplication*: while an alert of the same rule and subject is
not resolved, raising again updates it (its signals, evidence and as-of date; its severity
only upwards) instead of adding a second one; a draft dated before the alert's as-of date
(a backfill) leaves it as it is. *Cool-down*: after an alert is resolved, the same
rule and subject raise nothing for the rule's ``cooldown_days``, unless the severity is now
higher than the resolved alert's.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, Final, Literal

from sqlalchemy import Engine, insert
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from portfolio.alerts import ACTOR_LENGTH, Alert, AlertAction, AlertEvent, AlertStatus
from risk.errors import AlertNotFound, ConcurrentRun, InvalidTransition, RiskError
from risk.rules.schema import severity_rank

__all__ = [
    "DEFAULT_LIST_LIMIT",
    "TRANSITIONS",
    "AlertDraft",
    "RaiseOutcome",
    "acknowledge",
    "assign",
    "dedupe_key",
    "get_alert",
    "history",
    "list_alerts",
    "move_in",
    "raise_alerts",
    "resolve",
]

DEFAULT_LIST_LIMIT: Final = 100
#: Dedupe keys per look-up query when a run raises its alerts.
_KEYS_PER_QUERY: Final = 500

#: Where each status may go.
TRANSITIONS: Final[dict[AlertStatus, tuple[AlertStatus, ...]]] = {
    AlertStatus.OPEN: (AlertStatus.ACKNOWLEDGED, AlertStatus.ASSIGNED, AlertStatus.RESOLVED),
    AlertStatus.ACKNOWLEDGED: (AlertStatus.ASSIGNED, AlertStatus.RESOLVED),
    AlertStatus.ASSIGNED: (AlertStatus.ASSIGNED, AlertStatus.RESOLVED),
    AlertStatus.RESOLVED: (),
}

Outcome = Literal["raised", "updated", "escalated", "unchanged", "cooled_down"]


@dataclass(frozen=True, slots=True)
class AlertDraft:
    """What a rule found about one subject, before it is stored."""

    rule_id: str
    severity: str
    subject_kind: str
    subject_id: str
    as_of: date
    cooldown_days: int
    signals: list[dict[str, Any]] = field(default_factory=list)
    evidence: dict[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> str:
        return dedupe_key(self.rule_id, self.subject_kind, self.subject_id)


@dataclass(frozen=True, slots=True)
class RaiseOutcome:
    """What raising one draft did: ``alert_id`` is the alert raised or updated, or the
    resolved alert whose cool-down held the draft back; ``reason`` says why, in words."""

    draft: AlertDraft
    outcome: Outcome
    alert_id: int
    reason: str


def dedupe_key(rule_id: str, subject_kind: str, subject_id: str) -> str:
    """The identity deduplication works on: one rule about one subject."""
    return f"{rule_id}:{subject_kind}:{subject_id}"


def raise_alerts(engine: Engine, drafts: Sequence[AlertDraft], *, actor: str,
                 at: datetime | None = None) -> list[RaiseOutcome]:
    """Raise each draft, all in one transaction (all stored, or none).

    Raises:
        RiskError: ``actor`` is empty or too long, or two drafts share a dedupe key.
        ConcurrentRun: another run raised one of these alerts at the same moment.
    """
    actor = _check_actor(actor)
    now = _now(at)
    keys = [draft.key for draft in drafts]
    if len(set(keys)) != len(keys):
        twice = sorted({key for key in keys if keys.count(key) > 1})
        raise RiskError(f"one run raised the same rule about the same subject twice: {twice}")
    try:
        with Session(engine, expire_on_commit=False) as session, session.begin():
            return _raise_all(session, drafts, actor, now)
    except IntegrityError as exc:
        # Only the one-live-alert-per-key index can refuse these rows: another run raised
        # the same alert between our read and our write. This run stored nothing.
        raise ConcurrentRun("another run raised the same alerts at the same time; nothing "
                            "of this run was stored",
                            suggestion="run it again: it will update those alerts") from exc


def _live_alerts(session: Session, keys: Sequence[str]) -> dict[str, Alert]:
    """The unresolved alert of each of ``keys`` that has one, locked for this transaction
    (one query per chunk of keys, not one per alert)."""
    found: dict[str, Alert] = {}
    for start in range(0, len(keys), _KEYS_PER_QUERY):
        chunk = keys[start:start + _KEYS_PER_QUERY]
        for alert in session.exec(
                select(Alert).where(col(Alert.dedupe_key).in_(chunk),
                                    Alert.status != AlertStatus.RESOLVED.value)
                .with_for_update()):
            found[alert.dedupe_key] = alert
    return found


def _last_resolved(session: Session, keys: Sequence[str]) -> dict[str, Alert]:
    """The most recently resolved alert of each of ``keys`` that has one."""
    found: dict[str, Alert] = {}
    for start in range(0, len(keys), _KEYS_PER_QUERY):
        chunk = keys[start:start + _KEYS_PER_QUERY]
        for alert in session.exec(
                select(Alert).where(col(Alert.dedupe_key).in_(chunk),
                                    Alert.status == AlertStatus.RESOLVED.value)
                .order_by(col(Alert.dedupe_key), col(Alert.resolved_at).desc(),
                          col(Alert.id).desc())):
            found.setdefault(alert.dedupe_key, alert)
    return found


def _raise_all(session: Session, drafts: Sequence[AlertDraft], actor: str,
               now: datetime) -> list[RaiseOutcome]:
    """Each draft's outcome. The stored alerts of every key are read in a few queries, and
    the new alerts and their first events are inserted many rows per statement, so a run
    of 100,000 alerts costs a few hundred statements, not several per alert."""
    keys = [draft.key for draft in drafts]
    live = _live_alerts(session, keys)
    resolved = _last_resolved(session, [key for key in keys if key not in live])
    outcomes: list[RaiseOutcome | None] = []
    fresh: list[tuple[int, dict[str, Any], str | None]] = []
    for draft in drafts:
        current = live.get(draft.key)
        if current is not None:
            outcomes.append(_update(session, current, draft, actor, now))
            continue
        last = resolved.get(draft.key)
        if last is not None and last.resolved_at is not None and last.id is not None:
            until = last.resolved_at + timedelta(days=draft.cooldown_days)
            rises = severity_rank(draft.severity) > severity_rank(last.severity)
            if now < until and not rises:
                outcomes.append(RaiseOutcome(
                    draft, "cooled_down", last.id,
                    f"alert {last.id} was resolved on {last.resolved_at:%Y-%m-%d}; "
                    f"cool-down of {draft.cooldown_days} days until {until:%Y-%m-%d}"))
                continue
        note = None
        if last is not None:
            note = f"raised again after alert {last.id} (resolved) at higher severity" \
                if severity_rank(draft.severity) > severity_rank(last.severity) \
                else f"raised again after alert {last.id}'s cool-down"
        fresh.append((len(outcomes), {
            "rule_id": draft.rule_id, "severity": draft.severity,
            "subject_kind": draft.subject_kind, "subject_id": draft.subject_id,
            "status": AlertStatus.OPEN.value, "raised_at": now, "updated_at": now,
            "as_of": draft.as_of, "signals": draft.signals, "evidence": draft.evidence,
            "dedupe_key": draft.key}, note))
        outcomes.append(None)
    if fresh:
        # Core inserts, many rows per statement, ids returned in the rows' order: building
        # an ORM object per alert and flushing them cost 0.3 ms an alert, most of a run.
        ids = session.execute(
            insert(Alert).returning(col(Alert.id), sort_by_parameter_order=True),
            [row for _, row, _ in fresh]).scalars().all()
        session.execute(insert(AlertEvent), [
            {"alert_id": alert_id, "at": now, "actor": actor,
             "action": AlertAction.RAISED.value, "from_status": None,
             "to_status": AlertStatus.OPEN.value, "note": note}
            for alert_id, (_, _, note) in zip(ids, fresh, strict=True)])
        for alert_id, (index, _, note) in zip(ids, fresh, strict=True):
            outcomes[index] = RaiseOutcome(drafts[index], "raised", alert_id, note or "new")
    return [outcome for outcome in outcomes if outcome is not None]


def _update(session: Session, alert: Alert, draft: AlertDraft, actor: str,
            now: datetime) -> RaiseOutcome:
    assert alert.id is not None
    if draft.as_of < alert.as_of:
        # A run for an earlier date (a backfill) never overwrites later figures.
        return RaiseOutcome(draft, "unchanged", alert.id,
                            f"alert {alert.id} holds figures as of {alert.as_of}, later than "
                            f"{draft.as_of}")
    escalates = severity_rank(draft.severity) > severity_rank(alert.severity)
    changed = escalates or alert.signals != draft.signals or alert.evidence != draft.evidence
    alert.as_of = draft.as_of
    if not changed:
        session.add(alert)
        return RaiseOutcome(draft, "unchanged", alert.id,
                            f"alert {alert.id} ({alert.status}) already says this")
    previous = alert.severity
    if escalates:
        alert.severity = draft.severity
    alert.signals = draft.signals
    alert.evidence = draft.evidence
    alert.updated_at = now
    session.add(alert)
    status = AlertStatus(alert.status)
    if escalates:
        note = f"severity {previous} -> {draft.severity}"
        _record(session, alert.id, now, actor, AlertAction.ESCALATED, status, status, note)
        return RaiseOutcome(draft, "escalated", alert.id, note)
    _record(session, alert.id, now, actor, AlertAction.UPDATED, status, status,
            "signals or evidence changed")
    return RaiseOutcome(draft, "updated", alert.id, f"alert {alert.id} ({alert.status}) "
                        "is still live: its signals and evidence were updated")


def acknowledge(engine: Engine, alert_id: int, *, actor: str, note: str | None = None,
                at: datetime | None = None) -> Alert:
    """Mark an open alert as seen by ``actor``.

    Raises:
        AlertNotFound: no alert has ``alert_id``.
        InvalidTransition: the alert is not open.
    """
    return _move(engine, alert_id, AlertStatus.ACKNOWLEDGED, AlertAction.ACKNOWLEDGED,
                 actor=actor, note=note, at=at)


def assign(engine: Engine, alert_id: int, *, to: str, actor: str, note: str | None = None,
           at: datetime | None = None) -> Alert:
    """Give an alert to ``to`` (again, when already assigned: a reassignment).

    Raises:
        AlertNotFound, InvalidTransition: as :func:`acknowledge` (a resolved alert).
    """
    assignee = _check_actor(to, what="assignee")
    reason = f"assigned to {assignee}" if note is None else f"assigned to {assignee}: {note}"
    return _move(engine, alert_id, AlertStatus.ASSIGNED, AlertAction.ASSIGNED,
                 actor=actor, note=reason, at=at, assignee=assignee)


def resolve(engine: Engine, alert_id: int, *, actor: str, note: str | None = None,
            at: datetime | None = None) -> Alert:
    """Close an alert; its rule and subject then cool down for the rule's ``cooldown_days``.

    Raises:
        AlertNotFound, InvalidTransition: as :func:`acknowledge` (already resolved).
    """
    return _move(engine, alert_id, AlertStatus.RESOLVED, AlertAction.RESOLVED,
                 actor=actor, note=note, at=at)


def _move(engine: Engine, alert_id: int, to: AlertStatus, action: AlertAction, *, actor: str,
          note: str | None, at: datetime | None, assignee: str | None = None) -> Alert:
    with Session(engine, expire_on_commit=False) as session, session.begin():
        return move_in(session, alert_id, to, action, actor=actor, note=note, at=at,
                       assignee=assignee)


def move_in(session: Session, alert_id: int, to: AlertStatus, action: AlertAction, *,
            actor: str, note: str | None, at: datetime | None,
            assignee: str | None = None) -> Alert:
    """Move an alert to ``to`` within ``session``'s open transaction (the caller commits):
    what :func:`acknowledge`, :func:`assign` and :func:`resolve` do, for callers that write
    more in the same transaction (the API's receipts).

    Raises:
        AlertNotFound, InvalidTransition, RiskError: as :func:`acknowledge`.
    """
    actor = _check_actor(actor)
    if assignee is not None:
        assignee = _check_actor(assignee, what="assignee")
    now = _now(at)
    alert = session.exec(
        select(Alert).where(Alert.id == alert_id).with_for_update()).first()
    if alert is None:
        raise AlertNotFound(alert_id)
    current = AlertStatus(alert.status)
    allowed = TRANSITIONS[current]
    if to not in allowed:
        raise InvalidTransition(alert_id, current.value, _verb(action),
                                [status.value for status in allowed]) from None
    alert.status = to.value
    alert.updated_at = now
    if assignee is not None:
        alert.assignee = assignee
    if to is AlertStatus.RESOLVED:
        alert.resolved_at = now
    session.add(alert)
    _record(session, alert_id, now, actor, action, current, to, note)
    session.flush()
    return alert


def _verb(action: AlertAction) -> str:
    return {AlertAction.ACKNOWLEDGED: "acknowledge", AlertAction.ASSIGNED: "assign",
            AlertAction.RESOLVED: "resolve"}.get(action, action.value)


def get_alert(engine: Engine, alert_id: int) -> Alert:
    """The alert with ``alert_id``.

    Raises:
        AlertNotFound: no alert has that id.
    """
    with Session(engine, expire_on_commit=False) as session:
        alert = session.get(Alert, alert_id)
    if alert is None:
        raise AlertNotFound(alert_id)
    return alert


def list_alerts(engine: Engine, *, status: str | None = None,
                limit: int = DEFAULT_LIST_LIMIT, offset: int = 0) -> list[Alert]:
    """Alerts, newest first; only those of ``status`` when given; ``limit`` of them from
    position ``offset`` (for pages).

    Raises:
        RiskError: ``status`` is not a status.
    """
    query = select(Alert)
    if status is not None:
        if status not in {s.value for s in AlertStatus}:
            raise RiskError(f"unknown alert status {status!r}; one of: "
                            f"{', '.join(s.value for s in AlertStatus)}")
        query = query.where(Alert.status == status)
    query = (query.order_by(col(Alert.raised_at).desc(), col(Alert.id).desc())
             .offset(offset).limit(limit))
    with Session(engine, expire_on_commit=False) as session:
        return list(session.exec(query).all())


def history(engine: Engine, alert_id: int) -> list[AlertEvent]:
    """Every change of an alert, oldest first.

    Raises:
        AlertNotFound: no alert has that id.
    """
    with Session(engine, expire_on_commit=False) as session:
        if session.get(Alert, alert_id) is None:
            raise AlertNotFound(alert_id)
        return list(session.exec(select(AlertEvent).where(AlertEvent.alert_id == alert_id)
                                 .order_by(col(AlertEvent.id))).all())


def _record(session: Session, alert_id: int, at: datetime, actor: str, action: AlertAction,
            from_status: AlertStatus | None, to_status: AlertStatus, note: str | None) -> None:
    session.add(AlertEvent(alert_id=alert_id, at=at, actor=actor, action=action.value,
                           from_status=None if from_status is None else from_status.value,
                           to_status=to_status.value, note=note))


def _check_actor(actor: str, *, what: str = "actor") -> str:
    name = actor.strip()
    if not name or len(name) > ACTOR_LENGTH:
        raise RiskError(f"the {what} must be a name of 1 to {ACTOR_LENGTH} characters, "
                        f"got {actor!r}")
    return name


def _now(at: datetime | None) -> datetime:
    if at is None:
        return datetime.now(UTC)
    if at.tzinfo is None:
        raise RiskError(f"the time {at.isoformat()} has no time zone")
    return at
