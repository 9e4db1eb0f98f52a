"""Reviews of loans as of a date: the risk core run for each loan and its parties, the
record written once.

:func:`run_reviews` reviews a batch of loans (the scheduler's unit of work; a batch of one
is :func:`run_review`). For the batch it reads only those loans and their borrowers' other
loans (:func:`risk.classification.book.load_book` with ``loans=``), classifies and provides
for them with the scan's own functions (:func:`risk.classification.assessment.assess_book`,
with the PD and LGD table of the :class:`~risk.reviews.basis.ReviewBasis` of the date, which
are the scan's), so a review's tier, stage, PD and ECL are those the portfolio scan gives
the loan on the same date. It then reads, for the loan's parties (the borrower and the
guarantors), the graph exposure (the borrower's own loans and the guarantees it gave,
exact per currency), the live early-warning alerts of the loan and its parties, and the
scan's graph review flags; routes the review by the policy; and writes each record with
its next review date.

Once: a review's natural key is ``(loan_id, as_of, kind)`` under a unique constraint. The
batch's new records and their schedule rows are written in one transaction; a review
already stored is returned as stored (``written=False``) and nothing is computed for it.
Two workers racing on the same batch: the loser's transaction fails on the constraint,
rolls back whole, and it returns the winner's records.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import numpy as np
from sqlalchemy import Engine, bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from graph.model import RelType
from graph.store import GraphStore
from portfolio.alerts import AlertStatus
from portfolio.loans import Loan
from portfolio.money import exponent_of, minor_to_decimal
from portfolio.reviews import ReviewKind, ReviewRecord, ReviewSchedule, ReviewStatus
from risk.alerts.subjects import alerts_of_parties
from risk.classification.assessment import LoanAssessment, assess_book, secured_loans
from risk.classification.book import LoanBook, load_book
from risk.classification.config import DEFAULT_CLASSIFICATION
from risk.classification.delinquency import Delinquency, delinquency
from risk.classification.five_tier import borrower_is_retail
from risk.classification.overrides import StoredOverrides
from risk.classification.tiers import Tier
from risk.reviews.basis import BorrowerPd, ReviewBasis, review_basis
from risk.reviews.errors import ReviewBeforeLoan, ReviewError, UnknownLoan
from risk.reviews.policy import DEFAULT_POLICY, ReviewPolicy
from risk.reviews.record import Review
from risk.reviews.routing import route_reasons
from risk.scan import code_version
from risk.scan_results import loan_results

__all__ = ["DEFAULT_ACTOR", "MAX_ALERTS_PER_PARTY", "check_loans", "run_review", "run_reviews",
           "stored_reviews"]

#: Who proposes a review the scheduler or an event ran (a reviewer can never be it).
DEFAULT_ACTOR = "system"
#: Alerts read per party (newest first).
MAX_ALERTS_PER_PARTY = 50
_IDS_PER_QUERY = 2_000


def stored_reviews(engine: Engine, keys: Sequence[tuple[str, date, str]]
                   ) -> dict[tuple[str, date, str], Review]:
    """The stored reviews of ``keys`` (loan, as-of date, kind), by key."""
    found: dict[tuple[str, date, str], Review] = {}
    by_date: dict[tuple[date, str], list[str]] = defaultdict(list)
    for loan, day, kind in keys:
        by_date[(day, kind)].append(loan)
    with Session(engine) as session:
        for (day, kind), loans in by_date.items():
            for start in range(0, len(loans), _IDS_PER_QUERY):
                for row in session.execute(select(ReviewRecord).where(
                        col(ReviewRecord.as_of) == day, col(ReviewRecord.kind) == kind,
                        col(ReviewRecord.loan_id).in_(loans[start:start + _IDS_PER_QUERY]))
                        ).scalars():
                    review = Review.of(row)
                    found[review.key] = review
    return found


def check_loans(engine: Engine, loan_ids: Sequence[str], as_of: date) -> dict[str, Loan]:
    """The stored loans of ``loan_ids``, each disbursed by ``as_of``.

    Raises:
        UnknownLoan: a loan id is not stored.
        ReviewBeforeLoan: a loan was disbursed after ``as_of``.
    """
    found: dict[str, Loan] = {}
    with Session(engine) as session:
        for start in range(0, len(loan_ids), _IDS_PER_QUERY):
            for loan in session.execute(select(Loan).where(
                    col(Loan.id).in_(loan_ids[start:start + _IDS_PER_QUERY]))).scalars():
                found[loan.id] = loan
    missing = [loan_id for loan_id in loan_ids if loan_id not in found]
    if missing:
        raise UnknownLoan(missing)
    for loan_id in loan_ids:
        if found[loan_id].disbursed_on > as_of:
            raise ReviewBeforeLoan(loan_id, found[loan_id].disbursed_on, as_of)
    return found


def _previous_tiers(engine: Engine, loan_ids: Sequence[str], as_of: date,
                    basis: ReviewBasis) -> dict[str, tuple[Tier, str]]:
    """Each loan's tier before ``as_of``: at its latest earlier review (the decided tier when
    a reviewer decided), else in the latest scan before the date."""
    found: dict[str, tuple[Tier, str, date]] = {}
    with Session(engine) as session:
        for start in range(0, len(loan_ids), _IDS_PER_QUERY):
            rows = session.execute(select(
                ReviewRecord.loan_id, ReviewRecord.as_of, ReviewRecord.tier,
                ReviewRecord.decided_tier, ReviewRecord.id).where(
                col(ReviewRecord.loan_id).in_(loan_ids[start:start + _IDS_PER_QUERY]),
                col(ReviewRecord.as_of) < as_of).order_by(
                col(ReviewRecord.as_of), col(ReviewRecord.id))).all()
            for loan_id, day, tier, decided, review_id in rows:
                slug = decided or tier
                if slug is not None:
                    found[loan_id] = (Tier.from_slug(slug),
                                      f"review {review_id} of {day.isoformat()}", day)
    result = {loan: (tier, words) for loan, (tier, words, _) in found.items()}
    missing = [loan for loan in loan_ids if loan not in result]
    if missing and basis.previous_run is not None:
        for loan, scanned in loan_results(engine, missing, basis.previous_run).items():
            result[loan] = (Tier.from_slug(scanned.tier), f"scan run {scanned.run_id}")
    return result


def _money(amounts: Mapping[str, int]) -> dict[str, Decimal]:
    return {c: minor_to_decimal(v, c) for c, v in sorted(amounts.items()) if v}


def _guarantees(graph: GraphStore, loans: Sequence[str], borrowers: Sequence[str], as_of: date
                ) -> tuple[dict[str, list[dict[str, Any]]], dict[str, dict[str, int]]]:
    """The guarantors of each loan (with amounts), and the guarantees each borrower gave
    that were signed by ``as_of`` (minor units by currency)."""
    day = as_of.isoformat()

    def signed(props: Mapping[str, Any]) -> bool:
        on = props.get("signed_on")
        return not isinstance(on, str) or not on or on <= day

    guarantors: dict[str, list[dict[str, Any]]] = {}
    for loan, edges in zip(loans, graph.edges_of(list(loans), [RelType.GUARANTEES], "in"),
                           strict=True):
        guarantors[loan] = [
            {"party": e.source, "amount": None if e.props.get("amount_minor") is None
             else str(minor_to_decimal(int(e.props["amount_minor"]),
                                       str(e.props.get("amount_currency")))),
             "currency": e.props.get("amount_currency"), "signed_on": e.props.get("signed_on")}
            for e in edges if signed(e.props)]
    given: dict[str, dict[str, int]] = {}
    unique = list(dict.fromkeys(borrowers))
    for party, edges in zip(unique, graph.edges_of(unique, [RelType.GUARANTEES], "out"),
                            strict=True):
        sums: dict[str, int] = defaultdict(int)
        for e in edges:
            minor, currency = e.props.get("amount_minor"), e.props.get("amount_currency")
            if isinstance(minor, int) and isinstance(currency, str) and signed(e.props):
                sums[currency] += minor
        given[party] = dict(sums)
    return guarantors, given


def _assess(engine: Engine, graph: GraphStore, loans: Sequence[str], as_of: date,
            basis: ReviewBasis) -> tuple[LoanBook, Delinquency, dict[str, LoanAssessment],
                                         dict[str, BorrowerPd]]:
    """The classification of the scan's ``_classification`` phase, on the loans' sub-book."""
    book = load_book(engine, as_of, loans=loans)
    ids = book.loan_ids.tolist()
    borrowers = book.borrower_ids.tolist()
    retail = borrower_is_retail(graph, borrowers,
                                unknown_retail=DEFAULT_CLASSIFICATION.unknown_borrower_retail)
    dq = delinquency(book)
    overrides = StoredOverrides(engine).overrides_for(ids, as_of)
    pds = basis.pd_of(list(dict.fromkeys(borrowers)))
    pd_now = None if basis.model_id is None else np.array(
        [pds[b].pd if b in pds else np.nan for b in borrowers], dtype=np.float64)
    result = assess_book(book, dq, retail, secured_loans(graph, ids), overrides=overrides,
                         pd_now=pd_now, pd_model=basis.model_id, lgd_model=basis.lgd)
    return book, dq, {loan.loan_id: loan for loan in result.loans}, pds


def _alerts(engine: Engine, as_of: date, parties: Mapping[str, Sequence[str]]
            ) -> dict[str, list[dict[str, Any]]]:
    """The live alerts (raised by ``as_of``, not resolved) of each party and its loans."""
    found = alerts_of_parties(engine, parties, limit=MAX_ALERTS_PER_PARTY)
    return {party: [{"id": a.id, "rule_id": a.rule_id, "severity": a.severity,
                     "status": a.status, "as_of": a.as_of.isoformat(),
                     "subject": f"{a.subject_kind} {a.subject_id}"}
                    for a in alerts if a.status != AlertStatus.RESOLVED.value
                    and a.as_of <= as_of]
            for party, alerts in found.items()}


def _record(loan: Loan, as_of: date, kind: str, trigger: dict[str, Any] | None, *,
            book: LoanBook, dq: Delinquency, assessed: LoanAssessment | None,
            pd: BorrowerPd | None, policy: ReviewPolicy,
            guarantors: list[dict[str, Any]], own: dict[str, int], given: dict[str, int],
            alerts: list[dict[str, Any]], scanned: Any, previous: tuple[Tier, str] | None,
            borrower_loans: list[str], policy_json: dict[str, Any],
            models: dict[str, Any], actor: str, at: datetime) -> dict[str, Any]:
    """The column values of one review's record."""
    row = int(np.searchsorted(book.loan_ids, loan.id))
    exposure = _money({c: own.get(c, 0) + given.get(c, 0) for c in {*own, *given}})
    flags = [] if scanned is None else list(scanned.review_flags)
    tier = None if assessed is None else assessed.tier
    # A loan repaid in full by the date has nothing for a person to decide.
    route = [] if tier is None else route_reasons(
        policy, tier=tier, previous=None if previous is None else previous[0],
        previous_from=None if previous is None else previous[1], exposure=exposure,
        flags=flags, alerts=alerts, triggered=kind == ReviewKind.TRIGGERED.value)
    status = ReviewStatus.CLOSED.value
    next_review = None
    if assessed is not None:
        status = ReviewStatus.PENDING.value if route else ReviewStatus.CLOSED.value
        next_review = policy.next_review(as_of, assessed.tier, None if pd is None else pd.pd)
    exponent = exponent_of(loan.currency)
    inputs = {
        "loan": {"id": loan.id, "product": loan.product, "currency": loan.currency,
                 "principal": str(minor_to_decimal(loan.principal_minor, loan.currency)),
                 "disbursed_on": loan.disbursed_on.isoformat(),
                 "maturity_on": loan.maturity_on.isoformat()},
        "days_past_due": int(dq.days_past_due[row]),
        "missed_installments": int(dq.missed[row]),
        "outstanding": str(minor_to_decimal(int(dq.outstanding[row]), loan.currency)),
        "overdue": str(minor_to_decimal(int(dq.overdue_principal[row]
                                            + dq.overdue_interest[row]), loan.currency)),
        "parties": {"borrower": loan.borrower_id, "guarantors": guarantors},
        "borrower_loans": borrower_loans,
        "previous": None if previous is None else {"tier": previous[0].slug,
                                                   "from": previous[1]},
        "policy": policy_json}
    outputs = {
        "repaid": assessed is None,
        "tier": None if tier is None else tier.slug,
        "stage": None if assessed is None else assessed.stage,
        "pd": None if pd is None else pd.pd, "in_default": None if pd is None else pd.in_default,
        "pd_reasons": [] if pd is None else pd.reasons,
        "ecl": None if assessed is None else str(assessed.ecl),
        "exposure": None if assessed is None else str(assessed.exposure),
        "graph_exposure": {"own": {c: str(v) for c, v in _money(own).items()},
                           "guarantees_given": {c: str(v) for c, v in _money(given).items()},
                           "total": {c: str(v) for c, v in exposure.items()}},
        "signals": alerts, "flags": flags,
        "reasons": [] if assessed is None else [r.as_json() for r in assessed.reasons]}
    return {
        "loan_id": loan.id, "as_of": as_of, "kind": kind, "trigger": trigger,
        "borrower_id": loan.borrower_id, "status": status, "tier": outputs["tier"],
        "stage": outputs["stage"], "pd": outputs["pd"], "currency": loan.currency,
        "exposure_minor": 0 if assessed is None else int(assessed.exposure.scaleb(exponent)),
        "ecl_minor": 0 if assessed is None else int(assessed.ecl.scaleb(exponent)),
        "route": route, "inputs": inputs, "outputs": outputs, "models": models,
        "next_review": next_review, "proposed_by": actor, "created_at": at,
        "decided_tier": None, "decided_by": None, "decided_at": None,
        "decision_reason": None}


def _write(engine: Engine, rows: list[dict[str, Any]], at: datetime) -> list[Review]:
    """The new records and their schedule rows, in one transaction (Core statements: the
    ORM's unit of work cost as much as the review itself)."""
    table = ReviewRecord.__table__  # type: ignore[attr-defined]
    schedule = ReviewSchedule.__table__  # type: ignore[attr-defined]
    with engine.begin() as connection:
        ids = connection.execute(
            insert(table).returning(table.c.id, sort_by_parameter_order=True),
            rows).scalars().all()
        loans = [r["loan_id"] for r in rows]
        current: dict[str, date | None] = {}
        for start in range(0, len(loans), _IDS_PER_QUERY):
            current.update((loan_id, day) for loan_id, day in connection.execute(
                select(schedule.c.loan_id, schedule.c.last_reviewed_on).where(
                    schedule.c.loan_id.in_(loans[start:start + _IDS_PER_QUERY]))))
        fresh, changed = [], []
        for review_id, row in zip(ids, rows, strict=True):
            values = {"loan_id": row["loan_id"], "next_review": row["next_review"],
                      "tier": row["tier"], "last_reviewed_on": row["as_of"],
                      "last_review_id": review_id, "updated_at": at}
            if row["loan_id"] not in current:
                fresh.append(values)
                current[row["loan_id"]] = row["as_of"]
            elif (current[row["loan_id"]] or row["as_of"]) <= row["as_of"]:
                changed.append(values)  # an older review never moves a later one's date
        if fresh:
            connection.execute(insert(schedule), fresh)
        if changed:
            connection.execute(
                update(schedule).where(schedule.c.loan_id == bindparam("key")).values(
                    next_review=bindparam("next_review"), tier=bindparam("tier"),
                    last_reviewed_on=bindparam("last_reviewed_on"),
                    last_review_id=bindparam("last_review_id"),
                    updated_at=bindparam("updated_at")),
                [{**v, "key": v["loan_id"]} for v in changed])
    return [Review.from_values(review_id, row, written=True)
            for review_id, row in zip(ids, rows, strict=True)]


def run_reviews(engine: Engine, graph: GraphStore, loan_ids: Sequence[str], as_of: date, *,
                basis: ReviewBasis | None = None, policy: ReviewPolicy = DEFAULT_POLICY,
                kind: str = ReviewKind.PERIODIC.value, trigger: Mapping[str, Any] | None = None,
                actor: str = DEFAULT_ACTOR, now: Callable[[], datetime] | None = None,
                version: str | None = None) -> list[Review]:
    """Review ``loan_ids`` as of ``as_of`` (see the module); the reviews in the order asked.

    ``basis``: the date's shared figures (:func:`risk.reviews.basis.review_basis`; built
    here when not given: give it when reviewing many batches of one date). ``trigger``:
    what asked for a triggered review (an alert, an event), stored with it.

    Raises:
        ReviewError: an unknown ``kind``, a triggered review without its trigger, or a
            basis of another date.
        UnknownLoan: a loan id is not stored.
        ReviewBeforeLoan: a loan was disbursed after ``as_of``.
    """
    if kind not in {k.value for k in ReviewKind}:
        raise ReviewError(f"unknown review kind {kind!r}; one of: "
                          f"{', '.join(k.value for k in ReviewKind)}")
    if (kind == ReviewKind.TRIGGERED.value) != (trigger is not None):
        raise ReviewError("a triggered review needs its trigger (the alert or event), and "
                          "only a triggered review has one")
    if basis is not None and basis.as_of != as_of:
        raise ReviewError(f"the review basis is of {basis.as_of.isoformat()}, the reviews "
                          f"of {as_of.isoformat()}")
    clock = now or (lambda: datetime.now(UTC))
    wanted = list(dict.fromkeys(loan_ids))
    keys = [(loan, as_of, kind) for loan in wanted]
    stored = stored_reviews(engine, keys)
    todo = [loan for loan in wanted if (loan, as_of, kind) not in stored]
    if todo:
        loans = check_loans(engine, todo, as_of)
        basis = basis or review_basis(engine, graph, as_of)
        book, dq, assessed, pds = _assess(engine, graph, todo, as_of, basis)
        borrowers = [loans[loan].borrower_id for loan in todo]
        guarantors, given = _guarantees(graph, todo, borrowers, as_of)
        own: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        for loan in assessed.values():
            own[loan.borrower_id][loan.currency] += int(
                loan.exposure.scaleb(exponent_of(loan.currency)))
        of_borrower: dict[str, list[str]] = defaultdict(list)
        for loan_id, borrower in zip(book.loan_ids.tolist(), book.borrower_ids.tolist(),
                                     strict=True):
            of_borrower[str(borrower)].append(str(loan_id))
        parties: dict[str, list[str]] = dict(of_borrower)
        for loan in todo:
            for g in guarantors[loan]:
                parties.setdefault(g["party"], [])
        alerts = _alerts(engine, as_of, parties)
        scanned = {} if basis.flags_run is None else loan_results(engine, todo,
                                                                   basis.flags_run)
        previous = _previous_tiers(engine, todo, as_of, basis)
        at = clock()
        models = {**basis.as_json(), "code_version": version or code_version()}
        policy_json = policy.as_json()
        frozen_trigger = None if trigger is None else dict(trigger)
        rows = []
        for loan in todo:
            b = loans[loan].borrower_id
            seen = alerts.get(b, []) + [a for g in guarantors[loan]
                                        for a in alerts.get(g["party"], [])]
            rows.append(_record(
                loans[loan], as_of, kind, frozen_trigger, book=book, dq=dq,
                assessed=assessed.get(loan), pd=pds.get(b), policy=policy,
                guarantors=guarantors[loan], own=dict(own.get(b, {})),
                given=given.get(b, {}), alerts=list({a["id"]: a for a in seen}.values()),
                scanned=scanned.get(loan), previous=previous.get(loan),
                borrower_loans=of_borrower[b], policy_json=policy_json, models=models,
                actor=actor, at=at))
        try:
            written = _write(engine, rows, at)
        except IntegrityError:
            # Another worker wrote some of these reviews first: its records stand.
            stored = stored_reviews(engine, keys)
        else:
            stored.update({r.key: r for r in written})
    return [stored[key] for key in keys]


def run_review(engine: Engine, graph: GraphStore, loan_id: str, as_of: date, *,
               basis: ReviewBasis | None = None, policy: ReviewPolicy = DEFAULT_POLICY,
               kind: str = ReviewKind.PERIODIC.value, trigger: Mapping[str, Any] | None = None,
               actor: str = DEFAULT_ACTOR, now: Callable[[], datetime] | None = None,
               version: str | None = None) -> Review:
    """Review one loan as of ``as_of``: :func:`run_reviews` of a batch of one (same
    arguments, same errors)."""
    return run_reviews(engine, graph, [loan_id], as_of, basis=basis, policy=policy, kind=kind,
                       trigger=trigger, actor=actor, now=now, version=version)[0]
