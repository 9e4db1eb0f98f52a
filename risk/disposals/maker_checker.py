"""Disposals under maker-checker (四眼原则): one person proposes, another decides.

A proposal (:func:`propose`) is checked, computed (:mod:`risk.disposals.plans`: the new
schedule, the amounts) and stored as ``proposed``; nothing of the loan changes. A second
person whose role carries :data:`APPROVER_RIGHT` approves it (:func:`approve`), which
computes the plan again on the loan as it is now, refuses it when it changed
(:class:`~risk.disposals.errors.StaleProposal`), and applies it (:mod:`risk.disposals.
apply`) in the same transaction as the state change, or rejects it (:func:`reject`). The
proposer can never decide their own proposal: the check is on the logins of the users
the front door authenticated (the caller passes a :class:`Person` built from the user
store or the access token, never from a name typed in).

States and transitions (:data:`TRANSITIONS`)::

    (none)   --proposed-->  proposed
    proposed --approved-->  approved    the plan is applied
    proposed --rejected-->  rejected

Each call runs once per event id (:func:`portfolio.write_receipts.run_once`): sent again,
it answers the first result and changes nothing. Each transition is a
:class:`portfolio.disposals.DisposalEvent` row (append-only) with who and why, and an
:class:`auth.audit_events.AuditEvent` handed to the caller's sink once committed.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any, Final

from sqlalchemy import Connection, Engine, Table, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from auth.audit_events import AuditAction, AuditEvent, AuditSink
from auth.principal import ROLE_RIGHTS, Right, Role
from graph.model import Node
from graph.store import GraphStore, SqlTransactionGraph
from portfolio.disposals import Disposal, DisposalEvent, DisposalKind, DisposalState
from portfolio.write_receipts import run_once
from risk.disposals.apply import apply_plan
from risk.disposals.errors import (
    DisposalNotFound,
    DisposalRefused,
    InvalidTerms,
    StaleProposal,
)
from risk.disposals.ledger import read_account
from risk.disposals.plans import Plan, make_plan
from risk.disposals.terms import MAX_REASON_LENGTH, Terms, terms_of
from risk.disposals.views import DisposalView, get_disposal

__all__ = ["APPROVER_RIGHT", "PROPOSER_RIGHT", "TRANSITIONS", "Person", "approve", "propose",
           "reject"]

#: The right a proposer's role must carry.
PROPOSER_RIGHT: Final = Right.PROPOSE_DISPOSAL
#: The right of whoever approves or rejects.
APPROVER_RIGHT: Final = Right.APPROVE_DISPOSAL
#: event -> (the state it leaves, the state it leads to).
TRANSITIONS: Final[dict[str, tuple[DisposalState | None, DisposalState]]] = {
    "proposed": (None, DisposalState.PROPOSED),
    "approved": (DisposalState.PROPOSED, DisposalState.APPROVED),
    "rejected": (DisposalState.PROPOSED, DisposalState.REJECTED),
}
#: The command of each event, as the audit trail names it.
_COMMAND: Final = {"proposed": "propose", "approved": "approve", "rejected": "reject"}
_disposal: Final[Table] = Disposal.__table__  # type: ignore[attr-defined]
_event: Final[Table] = DisposalEvent.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True, slots=True)
class Person:
    """A user of the front door, as authenticated: the login and the role."""

    login: str
    role: Role


def _check_person(person: Person, right: Right, doing: str) -> None:
    if not person.login.strip():
        raise DisposalRefused(f"{doing} needs an authenticated user")
    if right not in ROLE_RIGHTS.get(person.role, frozenset()):
        raise DisposalRefused(f"{person.login} is a {person.role.value}: {doing} needs the "
                              f"right {right.value}", suggestion="ask a manager")


def _check_reason(reason: str) -> str:
    text = reason.strip()
    if not text:
        raise DisposalRefused("say why", suggestion="give --reason TEXT")
    if len(text) > MAX_REASON_LENGTH:
        raise DisposalRefused(f"the reason is {len(text)} characters; at most "
                              f"{MAX_REASON_LENGTH}")
    return text


def _event_row(connection: Connection, disposal_id: int, event: str, actor: str, reason: str,
               at: datetime) -> None:
    leaves, to = TRANSITIONS[event]
    seq = connection.execute(select(func.max(_event.c.seq))
                             .where(_event.c.disposal_id == disposal_id)).scalar() or 0
    connection.execute(insert(_event).values(
        disposal_id=disposal_id, seq=seq + 1, event=event,
        from_state=None if leaves is None else leaves.value, to_state=to.value, actor=actor,
        reason=reason, recorded_at=at))


def _audit(audit: AuditSink, view: DisposalView, event: str, person: Person, reason: str,
           at: datetime, client_id: str, source: str) -> None:
    audit.record(AuditEvent(
        at=at, action=AuditAction.CHANGE, client_id=client_id, user=person.login,
        operation=f"disposals {_COMMAND[event]}",
        targets=(f"disposal:{view.id}", view.loan_id), source=source,
        detail={"event": event, "kind": view.kind, "state": view.state, "reason": reason,
                "effective_on": view.effective_on.isoformat(),
                "amount_minor": view.amount_minor, "currency": view.currency}))


def _clock(now: Callable[[], datetime] | None) -> datetime:
    return (now or (lambda: datetime.now(UTC)))()


def propose(engine: Engine, graph: GraphStore | None, terms: Terms, *, loan_id: str,
            reason: str, proposer: Person, audit: AuditSink, event_id: str | None = None,
            client_id: str = "cli", source: str = "cli",
            now: Callable[[], datetime] | None = None) -> DisposalView:
    """Propose ``terms`` for loan ``loan_id``, for ``reason``, as ``proposer``.

    Raises:
        DisposalRefused: no reason; the proposer's role may not propose; the loan already
            has a proposal waiting.
        InvalidTerms: the terms break a rule, name no loan, or do not fit the loan.
        IdempotencyConflict: ``event_id`` was used for another proposal.
    """
    terms.check()
    text = _check_reason(reason)
    _check_person(proposer, PROPOSER_RIGHT, "proposing a disposal")
    at = _clock(now)
    loan_id = loan_id.strip()

    def write(connection: Connection) -> dict[str, Any]:
        waiting = connection.execute(select(_disposal.c.id).where(
            _disposal.c.loan_id == loan_id,
            _disposal.c.state == DisposalState.PROPOSED.value)).scalar()
        if waiting is not None:
            raise DisposalRefused(f"loan {loan_id} already has disposal {waiting} waiting "
                                  "for a decision", suggestion="decide it first")
        account = read_account(connection, loan_id, terms.effective_on)
        if account is None:
            raise InvalidTerms([("loan_id", f"no loan with id {loan_id!r}")])
        plan = make_plan(connection, graph, account, terms)
        disposal_id = connection.execute(insert(_disposal).values(
            loan_id=loan_id, kind=terms.kind.value, state=DisposalState.PROPOSED.value,
            effective_on=terms.effective_on, currency=account.currency,
            amount_minor=plan.amount_minor, collateral_id=terms.collateral_id and
            terms.collateral_id.strip(), terms=terms.given(), plan=plan.details, outcome=None,
            reason=text, proposed_by=proposer.login, proposed_at=at)
        ).inserted_primary_key[0]
        _event_row(connection, disposal_id, "proposed", proposer.login, text, at)
        return {"disposal_id": disposal_id}

    payload = {"loan_id": loan_id, "kind": terms.kind.value,
               "effective_on": terms.effective_on.isoformat(), "terms": terms.given(),
               "reason": text, "proposer": proposer.login}
    try:
        once = run_once(engine, "disposal:propose", event_id or uuid.uuid4().hex, payload,
                        actor=proposer.login, write=write, at=at)
    except IntegrityError as exc:  # a concurrent proposal for the same loan or collateral
        raise DisposalRefused(f"loan {loan_id} (or its collateral) already has a disposal "
                              "in progress", suggestion="`loanwatch disposals list --loan "
                              f"{loan_id}` shows it") from exc
    view = get_disposal(engine, int(once.result["disposal_id"]))
    if once.replayed:
        return replace(view, replayed=True)
    _audit(audit, view, "proposed", proposer, text, at, client_id, source)
    return view


def _lock_proposed(connection: Connection, disposal_id: int, checker: Person, doing: str,
                   to: DisposalState, reason: str, at: datetime) -> Any:
    """Take disposal ``disposal_id`` from ``proposed`` to ``to`` and return its row.

    The move is one conditional update (state still ``proposed``, proposer not the
    checker), written before anything is read: of two deciders at once only one moves it,
    and on SQLite the transaction holds the write lock from its first statement."""
    moved = connection.execute(update(_disposal).where(
        _disposal.c.id == disposal_id, _disposal.c.state == DisposalState.PROPOSED.value,
        _disposal.c.proposed_by != checker.login)
        .values(state=to.value, decided_by=checker.login, decided_at=at,
                decision_reason=reason)).rowcount
    row = connection.execute(select(_disposal).where(_disposal.c.id == disposal_id)).first()
    if row is None:
        raise DisposalNotFound(disposal_id)
    if moved == 1:
        return row
    if row.proposed_by == checker.login:
        raise DisposalRefused(f"{checker.login} proposed disposal {disposal_id}: another person "
                              f"must {doing} it (maker-checker)",
                              suggestion="ask a second person with the right "
                                         f"{APPROVER_RIGHT.value}")
    by = f" by {row.decided_by}" if row.decided_by else ""
    raise DisposalRefused(f"disposal {disposal_id} is {row.state}{by}, not waiting for a "
                          "decision")


def _same(stored: dict[str, Any], fresh: dict[str, Any]) -> list[str]:
    """The keys whose values differ."""
    return sorted(k for k in set(stored) | set(fresh) if stored.get(k) != fresh.get(k))


def approve(engine: Engine, graph: GraphStore | None, disposal_id: int, *, checker: Person,
            reason: str, audit: AuditSink, event_id: str | None = None,
            client_id: str = "cli", source: str = "cli",
            now: Callable[[], datetime] | None = None) -> DisposalView:
    """Approve disposal ``disposal_id`` as ``checker`` and apply it, in one transaction.

    Raises:
        DisposalNotFound: no such disposal.
        DisposalRefused: no reason; the checker's role may not approve; the checker
            proposed it; it is not waiting for a decision.
        StaleProposal: the loan changed since the proposal (the plan is not the same).
        InvalidTerms: the loan no longer allows it (written off, closed meanwhile).
    """
    text = _check_reason(reason)
    _check_person(checker, APPROVER_RIGHT, "approving a disposal")
    at = _clock(now)
    pending: list[Node] = []

    def write(connection: Connection) -> dict[str, Any]:
        row = _lock_proposed(connection, disposal_id, checker, "approve",
                             DisposalState.APPROVED, text, at)
        terms = terms_of(row.kind, row.effective_on, dict(row.terms))
        account = read_account(connection, row.loan_id, row.effective_on)
        if account is None:
            raise StaleProposal(disposal_id, f"loan {row.loan_id} no longer exists")
        plan = make_plan(connection, graph, account, terms)
        changed = _same(dict(row.plan), plan.details)
        if changed or plan.amount_minor != row.amount_minor:
            raise StaleProposal(disposal_id, "changed: " + ", ".join(changed or ["amount"]))
        outcome = apply_plan(connection, disposal_id, row.loan_id, row.currency, terms,
                             Plan(row.amount_minor, dict(row.plan)), row.reason)
        connection.execute(update(_disposal).where(_disposal.c.id == disposal_id)
                           .values(outcome=outcome))
        _event_row(connection, disposal_id, "approved", checker.login, text, at)
        if terms.kind is DisposalKind.COLLATERAL_DISPOSAL:
            _mark_collateral(connection, engine, graph, disposal_id, terms, plan, pending)
        return {"disposal_id": disposal_id}

    def finish() -> None:
        if pending and graph is not None:
            graph.upsert_nodes(pending)

    payload = {"disposal_id": disposal_id, "decision": "approve", "reason": text,
               "checker": checker.login}
    once = run_once(engine, "disposal:decide", event_id or uuid.uuid4().hex, payload,
                    actor=checker.login, write=write, finish=finish, at=at)
    view = get_disposal(engine, disposal_id)
    if once.replayed:
        return replace(view, replayed=True)
    _audit(audit, view, "approved", checker, text, at, client_id, source)
    return view


def _mark_collateral(connection: Connection, engine: Engine, graph: GraphStore | None,
                     disposal_id: int, terms: Terms, plan: Plan, pending: list[Node]) -> None:
    """Record the sale on the ``Collateral`` node (``disposed_on``, ``proceeds_minor``),
    where the loss models read collateral disposals: in this transaction when the graph
    lives in the same database, else just before the commit."""
    if graph is None:
        return
    node = graph.get_node((terms.collateral_id or "").strip())
    if node is None:
        raise StaleProposal(disposal_id, f"the collateral {terms.collateral_id!r} left the graph")
    marked = Node(id=node.id, label=node.label,
                  props={**node.props, "disposed_on": terms.effective_on.isoformat(),
                         "proceeds_minor": int(plan.details["proceeds_minor"])})
    if isinstance(graph, SqlTransactionGraph) and graph.shares_database_with(engine):
        graph.upsert_batch_in(connection, [marked], ())
    else:
        pending.append(marked)


def reject(engine: Engine, disposal_id: int, *, checker: Person, reason: str,
           audit: AuditSink, event_id: str | None = None, client_id: str = "cli",
           source: str = "cli", now: Callable[[], datetime] | None = None) -> DisposalView:
    """Reject disposal ``disposal_id`` as ``checker``: nothing of the loan changes.

    Raises:
        DisposalNotFound: no such disposal.
        DisposalRefused: no reason; the checker's role may not decide; the checker
            proposed it; it is not waiting for a decision.
    """
    text = _check_reason(reason)
    _check_person(checker, APPROVER_RIGHT, "rejecting a disposal")
    at = _clock(now)

    def write(connection: Connection) -> dict[str, Any]:
        _lock_proposed(connection, disposal_id, checker, "reject", DisposalState.REJECTED,
                       text, at)
        _event_row(connection, disposal_id, "rejected", checker.login, text, at)
        return {"disposal_id": disposal_id}

    payload = {"disposal_id": disposal_id, "decision": "reject", "reason": text,
               "checker": checker.login}
    once = run_once(engine, "disposal:decide", event_id or uuid.uuid4().hex, payload,
                    actor=checker.login, write=write, at=at)
    view = get_disposal(engine, disposal_id)
    if once.replayed:
        return replace(view, replayed=True)
    _audit(audit, view, "rejected", checker, text, at, client_id, source)
    return view
