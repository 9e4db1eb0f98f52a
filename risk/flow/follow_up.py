"""Follow a serious alert up: a triggered review of each loan it concerns and, where the
policy says, a collection case carrying the alert's graph path.

The loans an alert concerns: the loan itself for a loan alert; for a party alert, the live
loans the party borrows, or, when it borrows none, the live loans it guarantees (the
collector then works the guarantee). Live: stored, disbursed by the date, neither closed
nor written off.

Once per ``(alert, loan)``: each follow-up is an :class:`portfolio.alert_follow_ups.
AlertFollowUp` row under a unique constraint, written last, in the transaction that opens
the case (or attaches the alert to the loan's live case). The review before it is itself
once per ``(loan, date, "triggered")`` (:func:`risk.reviews.run_reviews`). So a second
delivery of an event, or a rerun after a crash between the two writes, finds what was done
and adds nothing; two workers racing lose one transaction to the constraint and read the
winner's row.

A case the flow opens is a case like the daily run's (state ``open``, opened by ``system``,
its first transition recorded with the alert as its reason) in the bucket the loan's days
past due put it in; a loan that already has a live case keeps it, and the alert is attached
to it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Final

from sqlalchemy import Connection, Engine, Table, func, insert, select
from sqlalchemy.exc import IntegrityError

from auth.audit_events import AuditSink
from graph.model import RelType
from graph.store import GraphStore
from portfolio.alert_follow_ups import AlertFollowUp
from portfolio.alerts import Alert, SubjectKind
from portfolio.collections import CaseEvent, CollectionCase, case_id_of
from portfolio.loans import Loan, LoanStatus
from risk.classification.book import load_book
from risk.classification.delinquency import delinquency
from risk.collections.cases import SYSTEM_ACTOR, CaseEventKind, audit_event, next_state
from risk.collections.config import CollectionsConfig
from risk.collections.segments import had_cases, risk_tiers, segment_of
from risk.errors import FlowConflict
from risk.flow.policy import FlowPolicy
from risk.reviews.basis import ReviewBasis
from risk.reviews.policy import ReviewPolicy
from risk.reviews.review import run_reviews

__all__ = ["FollowUp", "follow_up", "loans_of_alert"]

_follow: Final[Table] = AlertFollowUp.__table__  # type: ignore[attr-defined]
_case: Final[Table] = CollectionCase.__table__  # type: ignore[attr-defined]
_event: Final[Table] = CaseEvent.__table__  # type: ignore[attr-defined]
_loan: Final[Table] = Loan.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True, slots=True)
class FollowUp:
    """One follow-up as stored: the alert, the loan, the review, the case (``None``: the
    policy opens none for this alert), and whether this call wrote it."""

    alert_id: int
    loan_id: str
    review_id: int | None
    case_id: str | None
    event_id: str
    rule_id: str
    severity: str
    path: dict[str, Any]
    written: bool


def _row_of(row: Any, written: bool) -> FollowUp:
    return FollowUp(alert_id=row.alert_id, loan_id=row.loan_id, review_id=row.review_id,
                    case_id=row.case_id, event_id=row.event_id, rule_id=row.rule_id,
                    severity=row.severity, path=dict(row.path), written=written)


def loans_of_alert(engine: Engine, graph: GraphStore, alert: Alert, as_of: date) -> list[str]:
    """The live loans ``alert`` concerns on ``as_of`` (see the module), sorted."""
    if alert.subject_kind == SubjectKind.LOAN.value:
        candidates = [alert.subject_id]
    elif alert.subject_kind == SubjectKind.PARTY.value:
        borrowed, guaranteed = graph.edges_of([alert.subject_id, alert.subject_id],
                                              [RelType.BORROWS, RelType.GUARANTEES], "out")
        candidates = sorted({e.target for e in borrowed if e.type is RelType.BORROWS})
        if not _live(engine, candidates, as_of):
            candidates = sorted({e.target for e in guaranteed
                                 if e.type is RelType.GUARANTEES})
    else:
        return []
    return _live(engine, candidates, as_of)


def _live(engine: Engine, loans: Sequence[str], as_of: date) -> list[str]:
    if not loans:
        return []
    with engine.connect() as connection:
        return sorted(connection.execute(select(_loan.c.id).where(
            _loan.c.id.in_(list(loans)), _loan.c.disbursed_on <= as_of,
            _loan.c.status == LoanStatus.ACTIVE.value)).scalars())


def _stored(engine: Engine | Connection, alert_ids: Sequence[int]
            ) -> dict[tuple[int, str], FollowUp]:
    if not alert_ids:
        return {}
    query = select(_follow).where(_follow.c.alert_id.in_(list(alert_ids)))
    if isinstance(engine, Connection):
        rows = engine.execute(query).all()
    else:
        with engine.connect() as connection:
            rows = connection.execute(query).all()
    return {(r.alert_id, r.loan_id): _row_of(r, False) for r in rows}


def follow_up(engine: Engine, graph: GraphStore, alerts: Sequence[Alert], *, as_of: date,
              event_id: str, policy: FlowPolicy, collections: CollectionsConfig,
              review_policy: ReviewPolicy, audit: AuditSink | None,
              now: Callable[[], datetime],
              basis: Callable[[], ReviewBasis] | None = None) -> list[FollowUp]:
    """Follow up each serious alert of ``alerts`` (see the module); every follow-up of
    them, stored now or before, in alert then loan order. ``basis``: gives the date's
    review basis (a cache's) when a review is to be written; by default each review call
    builds its own.

    Raises:
        FlowConflict: another flow opened a case on one of the loans at the same moment.
        ReviewError, UnknownLoan: as :func:`risk.reviews.run_reviews`.
        SQLAlchemyError, GraphError: a store failed (what was committed stays, and a rerun
            completes it).
    """
    serious = [a for a in alerts if a.id is not None and policy.serious(a.severity)]
    stored = _stored(engine, [a.id for a in serious if a.id is not None])
    result: list[FollowUp] = []
    for alert in serious:
        assert alert.id is not None
        loans = loans_of_alert(engine, graph, alert, as_of)
        todo = [loan for loan in loans if (alert.id, loan) not in stored]
        reviews = {}
        if todo:
            trigger = {"alert_id": alert.id, "rule_id": alert.rule_id,
                       "severity": alert.severity, "event_id": event_id,
                       "subject": f"{alert.subject_kind} {alert.subject_id}"}
            reviews = {r.loan_id: r.id for r in run_reviews(
                engine, graph, todo, as_of, policy=review_policy, kind="triggered",
                trigger=trigger, now=now, basis=None if basis is None else basis())}
        for loan in loans:
            if (alert.id, loan) in stored:
                result.append(stored[(alert.id, loan)])
                continue
            result.append(_write(engine, alert, loan, reviews.get(loan), as_of=as_of,
                                 event_id=event_id, opens_case=policy.opens_case(
                                     alert.rule_id, alert.severity),
                                 collections=collections, audit=audit, at=now()))
    return result


def _write(engine: Engine, alert: Alert, loan_id: str, review_id: int | None, *,
           as_of: date, event_id: str, opens_case: bool, collections: CollectionsConfig,
           audit: AuditSink | None, at: datetime) -> FollowUp:
    assert alert.id is not None
    values = {"alert_id": alert.id, "loan_id": loan_id, "event_id": event_id,
              "rule_id": alert.rule_id, "severity": alert.severity, "review_id": review_id,
              "case_id": None, "path": dict(alert.evidence), "created_at": at}
    opened: dict[str, Any] | None = None
    figures = _figures(engine, loan_id, as_of) if opens_case else None
    try:
        with engine.begin() as connection:
            if figures is not None:
                values["case_id"], opened = _case_for(connection, alert, loan_id, figures,
                                                      as_of=as_of, event_id=event_id,
                                                      collections=collections, at=at)
            connection.execute(insert(_follow), [values])
    except IntegrityError:
        # Another worker followed this alert up for this loan first: its row stands.
        found = _stored(engine, [alert.id]).get((alert.id, loan_id))
        if found is None:
            raise FlowConflict(f"another flow opened a case on loan {loan_id} at the same "
                               f"time; the follow-up of alert {alert.id} was not stored",
                               suggestion="run the flow again") from None
        return found
    if opened is not None and audit is not None:
        audit.record(audit_event(**opened))
    return FollowUp(**{k: v for k, v in values.items() if k != "created_at"}, written=True)


@dataclass(frozen=True, slots=True)
class _Figures:
    borrower_id: str
    currency: str
    dpd: int
    outstanding_minor: int


def _figures(engine: Engine, loan_id: str, as_of: date) -> _Figures:
    """The loan's days past due and outstanding principal on ``as_of`` (the one
    computation the daily run and the classifier use)."""
    book = load_book(engine, as_of, loans=[loan_id], bureau=False)
    dq = delinquency(book)
    row = book.loan_ids.tolist().index(loan_id)
    return _Figures(borrower_id=str(book.borrower_ids[row]), currency=str(book.currency[row]),
                    dpd=int(dq.days_past_due[row]), outstanding_minor=int(dq.outstanding[row]))


def _case_for(connection: Connection, alert: Alert, loan_id: str, figures: _Figures, *,
              as_of: date, event_id: str, collections: CollectionsConfig, at: datetime
              ) -> tuple[str, dict[str, Any] | None]:
    """The loan's live case, or a case opened now; and the audit entry's values of an
    opening (``None`` when the case was there)."""
    live = connection.execute(select(_case.c.id).where(
        _case.c.loan_id == loan_id, _case.c.closed_on.is_(None)).with_for_update()).scalar()
    if live is not None:
        return str(live), None
    dpd = figures.dpd
    bucket = collections.bucket_of(dpd)
    segment = segment_of(collections, tier=risk_tiers(connection, as_of, [loan_id]).get(loan_id),
                         outstanding_minor=figures.outstanding_minor,
                         currency=figures.currency, repaid_within_window=False,
                         had_case=loan_id in had_cases(connection, _case, [loan_id]))
    case_id = case_id_of(loan_id, as_of)
    state = next_state(case_id, None, CaseEventKind.OPENED)
    reason = (f"opened by {alert.severity} alert {alert.id} ({alert.rule_id}) on "
              f"{alert.subject_kind} {alert.subject_id}, re-scored after event {event_id}")
    connection.execute(insert(_case), [{
        "id": case_id, "loan_id": loan_id, "borrower_id": figures.borrower_id,
        "opened_on": as_of, "closed_on": None, "state": state.value, "bucket": bucket,
        "bucket_since": as_of, "dpd": dpd, "as_of": as_of, "currency": figures.currency,
        "outstanding_minor": figures.outstanding_minor, "risk_tier": segment.risk_tier,
        "balance_band": segment.balance_band, "behaviour": segment.behaviour,
        "segment": segment.key, "updated_at": at}])
    seq = connection.execute(select(func.max(_event.c.seq))
                             .where(_event.c.case_id == case_id)).scalar() or 0
    connection.execute(insert(_event), [{
        "case_id": case_id, "seq": seq + 1, "event": CaseEventKind.OPENED.value,
        "from_state": None, "to_state": state.value, "from_bucket": None, "to_bucket": bucket,
        "dpd": dpd, "effective_on": as_of, "actor": SYSTEM_ACTOR, "reason": reason,
        "run_id": None, "recorded_at": at}])
    return case_id, {"case_id": case_id, "loan_id": loan_id, "event": CaseEventKind.OPENED,
                     "from_state": None, "to_state": state.value, "actor": SYSTEM_ACTOR,
                     "reason": reason, "effective_on": as_of, "at": at,
                     "client_id": "event-flow",
                     "detail": {"alert_id": alert.id, "event_id": event_id}}
