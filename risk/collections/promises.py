"""Promises to pay: recorded by a collector (amount, date, channel, who), followed up by the
strategy step, kept or broken from the repayments, and a broken one escalates its case.

* **recording** checks the case is worked (open or on hold), the amount (positive, in the
  case's currency, no more decimals than it has) and the date (from the day it is made to
  :data:`MAX_PROMISE_DAYS` after); the same promise recorded again (same case and date,
  same amount) answers the first one, ``replayed``; another amount for the same date is
  refused. Each recording goes to the audit trail.
* **follow-up** on a day: a pending promise is ``kept`` as soon as the repayments on the
  loan from the day it was made to its date (partial payments added) reach the amount, and
  ``broken`` on the first day after its date when they do not. A broken promise of a worked
  case escalates it: a case transition ``escalated`` (recorded, audited; a case on hold is
  worked again) and the strategy's ``on_broken_promise`` steps are planned. Each promise is
  settled in its own transaction under a conditional update, so a follow-up run twice
  settles and escalates once.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any, Final

from sqlalchemy import Connection, Engine, Table, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from auth.audit_events import AuditAction, AuditEvent, AuditSink
from portfolio.alerts import ACTOR_LENGTH
from portfolio.collection_strategies import CollectionAction, StrategyAssignment
from portfolio.collections import CaseEvent, CollectionCase
from portfolio.key_chunks import key_chunks
from portfolio.money import CURRENCY_EXPONENTS, minor_to_decimal
from portfolio.promises import PromiseToPay
from portfolio.repayments import Repayment
from risk.collections.cases import (
    FINAL_STATES,
    SYSTEM_ACTOR,
    CaseEventKind,
    CaseState,
    audit_event,
    next_state,
)
from risk.collections.errors import CaseNotFound, CollectionsError, PromiseRefused
from risk.collections.planning import escalation_rows
from risk.collections.strategy_config import StrategyConfig

__all__ = [
    "BROKEN",
    "KEPT",
    "MAX_PROMISE_DAYS",
    "PENDING",
    "PROMISE_CHANNELS",
    "PromiseSettled",
    "PromiseView",
    "RecordedPromise",
    "follow_up_promises",
    "list_promises",
    "pending_until",
    "promises_by_id",
    "promises_of_cases",
    "record_promise",
]

PENDING: Final = "pending"
KEPT: Final = "kept"
BROKEN: Final = "broken"
STATUSES: Final = (PENDING, KEPT, BROKEN)
#: How a promise was made.
PROMISE_CHANNELS: Final = ("call", "sms", "email", "chat", "visit", "letter", "branch")
#: The furthest a promise may be dated after the day it is made.
MAX_PROMISE_DAYS: Final = 90
DEFAULT_PROMISES_LISTED: Final = 100

_promise: Final[Table] = PromiseToPay.__table__  # type: ignore[attr-defined]
_case: Final[Table] = CollectionCase.__table__  # type: ignore[attr-defined]
_event: Final[Table] = CaseEvent.__table__  # type: ignore[attr-defined]
_repayment: Final[Table] = Repayment.__table__  # type: ignore[attr-defined]
_assignment: Final[Table] = StrategyAssignment.__table__  # type: ignore[attr-defined]
_action: Final[Table] = CollectionAction.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True, slots=True)
class PromiseView:
    """A promise as stored."""

    id: int
    case_id: str
    loan_id: str
    borrower_id: str
    amount_minor: int
    currency: str
    made_on: date
    promised_for: date
    channel: str
    recorded_by: str
    recorded_at: datetime
    note: str | None
    status: str
    paid_minor: int | None
    resolved_on: date | None

    @property
    def amount(self) -> Decimal:
        return minor_to_decimal(self.amount_minor, self.currency)

    def as_json(self) -> dict[str, Any]:
        return {"id": self.id, "case": self.case_id, "loan": self.loan_id,
                "borrower": self.borrower_id, "amount": str(self.amount),
                "currency": self.currency, "made_on": self.made_on.isoformat(),
                "promised_for": self.promised_for.isoformat(), "channel": self.channel,
                "recorded_by": self.recorded_by, "recorded_at": self.recorded_at.isoformat(),
                "note": self.note, "status": self.status,
                "paid": None if self.paid_minor is None
                else str(minor_to_decimal(self.paid_minor, self.currency)),
                "resolved_on": None if self.resolved_on is None
                else self.resolved_on.isoformat()}


@dataclass(frozen=True, slots=True)
class RecordedPromise:
    promise: PromiseView
    #: The same promise had been recorded before: nothing was written.
    replayed: bool


def _view(row: Any) -> PromiseView:
    return PromiseView(**{name: getattr(row, name) for name in PromiseView.__slots__})


def _minor(amount: Decimal, currency: str) -> int:
    exponent = CURRENCY_EXPONENTS.get(currency, 2)
    if not amount.is_finite() or amount <= 0:
        raise PromiseRefused("amount", f"must be a positive amount, got {amount}")
    scaled = amount.scaleb(exponent)
    if scaled != scaled.to_integral_value():
        raise PromiseRefused("amount", f"{amount} has more decimals than {currency} "
                             f"({exponent})")
    return int(scaled)


def record_promise(engine: Engine, case_id: str, *, amount: Decimal, promised_for: date,
                   channel: str, actor: str, audit: AuditSink, made_on: date | None = None,
                   note: str | None = None, client_id: str = "cli",
                   now: Callable[[], datetime] | None = None) -> RecordedPromise:
    """Record a promise made on ``made_on`` (default today) on the case's loan (see the
    module), in one transaction, reported to ``audit`` once committed.

    Raises:
        CaseNotFound: no such case.
        PromiseRefused: the case is not worked, or a bad amount, date, channel or actor;
            another amount already promised for that date.
    """
    at = (now or (lambda: datetime.now(UTC)))()
    made = made_on or at.date()
    who = actor.strip()
    if not who or who == SYSTEM_ACTOR or len(who) > ACTOR_LENGTH:
        raise PromiseRefused("recorded_by", "a promise is recorded by a user's login")
    if channel not in PROMISE_CHANNELS:
        raise PromiseRefused("channel", f"unknown channel {channel!r}; known: "
                             f"{', '.join(PROMISE_CHANNELS)}")
    if promised_for < made:
        raise PromiseRefused("promised_for", f"{promised_for.isoformat()} is before the day "
                             f"the promise was made ({made.isoformat()})")
    if promised_for > made + timedelta(days=MAX_PROMISE_DAYS):
        raise PromiseRefused("promised_for", f"{promised_for.isoformat()} is more than "
                             f"{MAX_PROMISE_DAYS} days after {made.isoformat()}")
    with engine.connect() as connection:
        case = connection.execute(select(_case.c.loan_id, _case.c.borrower_id,
                                         _case.c.currency, _case.c.state)
                                  .where(_case.c.id == case_id)).first()
    if case is None:
        raise CaseNotFound(case_id)
    if CaseState(case.state) in FINAL_STATES:
        raise PromiseRefused("case", f"case {case_id} is {case.state}: promises are taken on "
                             "open cases and cases on hold")
    minor = _minor(amount, case.currency)
    row = {"case_id": case_id, "loan_id": case.loan_id, "borrower_id": case.borrower_id,
           "amount_minor": minor, "currency": case.currency, "made_on": made,
           "promised_for": promised_for, "channel": channel, "recorded_by": who,
           "recorded_at": at, "note": (note or "").strip() or None, "status": PENDING,
           "paid_minor": None, "resolved_on": None}
    try:
        with engine.begin() as connection:
            new_id = connection.execute(insert(_promise).values(**row)).inserted_primary_key[0]
    except IntegrityError:
        with engine.connect() as connection:
            found = connection.execute(select(_promise).where(
                _promise.c.case_id == case_id, _promise.c.promised_for == promised_for)).first()
        if found is None:
            raise
        if found.amount_minor != minor:
            raise PromiseRefused("promised_for", f"promise {found.id} already promises "
                                 f"{minor_to_decimal(found.amount_minor, found.currency)} "
                                 f"{found.currency} for {promised_for.isoformat()} on this "
                                 "case") from None
        return RecordedPromise(_view(found), replayed=True)
    audit.record(AuditEvent(
        at=at, action=AuditAction.CHANGE, client_id=client_id, user=who,
        operation="collections promise recorded", targets=(case_id, case.loan_id),
        source=client_id, detail={"promise": new_id, "amount": str(amount),
                                  "currency": case.currency,
                                  "promised_for": promised_for.isoformat(),
                                  "channel": channel}))
    return RecordedPromise(PromiseView(id=new_id, **row), replayed=False)


def list_promises(engine: Engine, *, case_id: str | None = None,
                  statuses: list[str] | None = None,
                  limit: int = DEFAULT_PROMISES_LISTED, offset: int = 0) -> list[PromiseView]:
    """Promises, the soonest date first; ``case_id`` and ``statuses`` narrow the list.

    Raises:
        CollectionsError: an unknown status.
    """
    statement = select(_promise)
    if statuses:
        unknown = sorted(set(statuses) - set(STATUSES))
        if unknown:
            raise CollectionsError(f"unknown promise status(es): {', '.join(unknown)}; known: "
                                   f"{', '.join(STATUSES)}")
        statement = statement.where(_promise.c.status.in_(statuses))
    if case_id is not None:
        statement = statement.where(_promise.c.case_id == case_id)
    statement = statement.order_by(_promise.c.promised_for, _promise.c.id).limit(limit) \
        .offset(offset)
    with engine.connect() as connection:
        return [_view(row) for row in connection.execute(statement)]


def promises_of_cases(engine: Engine, case_ids: Sequence[str]) -> dict[str, list[PromiseView]]:
    """The promises of each case of ``case_ids``, the soonest date first (cases without any
    absent)."""
    found: dict[str, list[PromiseView]] = {}
    with engine.connect() as connection:
        for chunk in key_chunks(case_ids):
            rows = connection.execute(select(_promise).where(_promise.c.case_id.in_(chunk))
                                      .order_by(_promise.c.case_id, _promise.c.promised_for,
                                                _promise.c.id))
            for row in rows:
                found.setdefault(row.case_id, []).append(_view(row))
    return found


def promises_by_id(engine: Engine, promise_ids: Sequence[int]) -> dict[int, PromiseView]:
    """The promises of ``promise_ids`` that exist (``node(id:)`` reads them by number)."""
    found: dict[int, PromiseView] = {}
    with engine.connect() as connection:
        for chunk in key_chunks(promise_ids):
            for row in connection.execute(select(_promise).where(_promise.c.id.in_(chunk))):
                found[row.id] = _view(row)
    return found


def pending_until(connection: Connection, case_ids: list[str], day: date) -> dict[str, date]:
    """For each of ``case_ids`` with a pending promise made by ``day`` and dated ``day`` or
    later: the latest such date (strategy actions wait until the day after it)."""
    found: dict[str, date] = {}
    for start in range(0, len(case_ids), 500):
        found.update(connection.execute(
            select(_promise.c.case_id, func.max(_promise.c.promised_for)).where(
                _promise.c.case_id.in_(case_ids[start:start + 500]),
                _promise.c.status == PENDING, _promise.c.promised_for >= day,
                _promise.c.made_on <= day)
            .group_by(_promise.c.case_id)).all())
    return found


@dataclass(frozen=True, slots=True)
class PromiseSettled:
    """A promise the follow-up settled; ``escalated`` when its case was escalated."""

    promise_id: int
    case_id: str
    loan_id: str
    status: str
    paid_minor: int
    amount_minor: int
    currency: str
    escalated: bool
    planned: int
    reason: str

    def as_json(self) -> dict[str, Any]:
        return {"promise": self.promise_id, "case": self.case_id, "status": self.status,
                "paid": str(minor_to_decimal(self.paid_minor, self.currency)),
                "amount": str(minor_to_decimal(self.amount_minor, self.currency)),
                "escalated": self.escalated, "planned": self.planned}


def _paid(connection: Connection, promise: Any, day: date) -> int:
    return int(connection.execute(select(func.coalesce(func.sum(_repayment.c.amount_minor), 0))
                                  .where(_repayment.c.loan_id == promise.loan_id,
                                         _repayment.c.paid_on >= promise.made_on,
                                         _repayment.c.paid_on <= min(day, promise.promised_for))
                                  ).scalar() or 0)


def _escalate(connection: Connection, promise: Any, reason: str, config: StrategyConfig,
              day: date, at: datetime) -> tuple[bool, int, str | None]:
    """Escalate the promise's case if it is worked: (escalated, steps planned, from state)."""
    case = connection.execute(select(_case.c.id, _case.c.loan_id, _case.c.borrower_id,
                                     _case.c.state, _case.c.bucket, _case.c.dpd)
                              .where(_case.c.id == promise.case_id).with_for_update()).first()
    state = CaseState(case.state)
    if state in FINAL_STATES:
        return False, 0, None
    to = next_state(case.id, state, CaseEventKind.ESCALATED)
    seq = connection.execute(select(func.max(_event.c.seq))
                             .where(_event.c.case_id == case.id)).scalar() or 0
    connection.execute(insert(_event), [{
        "case_id": case.id, "seq": seq + 1, "event": CaseEventKind.ESCALATED.value,
        "from_state": state.value, "to_state": to.value, "from_bucket": case.bucket,
        "to_bucket": case.bucket, "dpd": case.dpd, "effective_on": day,
        "actor": SYSTEM_ACTOR, "reason": reason, "run_id": None, "recorded_at": at}])
    connection.execute(update(_case).where(_case.c.id == case.id)
                       .values(state=to.value, updated_at=at))
    number, rows = escalation_rows(connection, case, config, day, at)
    if number:
        connection.execute(update(_assignment).where(_assignment.c.case_id == case.id)
                           .values(escalations=number))
    if rows:
        connection.execute(insert(_action), rows)
    return True, len(rows), state.value


def follow_up_promises(engine: Engine, day: date, *, config: StrategyConfig,
                       audit: AuditSink, client_id: str = "collections",
                       now: Callable[[], datetime] | None = None) -> list[PromiseSettled]:
    """Settle the pending promises that ``day`` decides (see the module)."""
    clock = now or (lambda: datetime.now(UTC))
    with engine.connect() as connection:
        pending = connection.execute(select(_promise).where(
            _promise.c.status == PENDING, _promise.c.made_on <= day)
            .order_by(_promise.c.promised_for, _promise.c.id)).fetchall()
    settled: list[PromiseSettled] = []
    for promise in pending:
        at = clock()
        with engine.begin() as connection:
            paid = _paid(connection, promise, day)
            if paid >= promise.amount_minor:
                status = KEPT
            elif day > promise.promised_for:
                status = BROKEN
            else:
                continue
            moved = connection.execute(update(_promise).where(
                _promise.c.id == promise.id, _promise.c.status == PENDING).values(
                status=status, paid_minor=paid, resolved_on=day)).rowcount
            if moved != 1:
                continue  # another follow-up settled it first
            paid_text = minor_to_decimal(paid, promise.currency)
            amount_text = minor_to_decimal(promise.amount_minor, promise.currency)
            reason = f"promise {promise.id} broken: {paid_text} of {amount_text} " \
                f"{promise.currency} paid by {promise.promised_for.isoformat()}"
            escalated, planned, from_state = (False, 0, None) if status == KEPT else \
                _escalate(connection, promise, reason, config, day, at)
        settled.append(PromiseSettled(promise.id, promise.case_id, promise.loan_id, status,
                                      paid, promise.amount_minor, promise.currency, escalated,
                                      planned, reason))
        if escalated:
            audit.record(audit_event(
                case_id=promise.case_id, loan_id=promise.loan_id,
                event=CaseEventKind.ESCALATED, from_state=from_state,
                to_state=CaseState.OPEN.value, actor=SYSTEM_ACTOR, reason=reason,
                effective_on=day, at=at, client_id=client_id,
                detail={"promise": promise.id, "planned": planned}))
    return settled
