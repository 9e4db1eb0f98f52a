"""The daily collections run: every loan's days past due and delinquency bucket on a date,
each bucket move kept as history, and collection cases opened, moved and closed.

Days past due come from the one computation the classifier and the rules use
(:func:`risk.classification.book.load_book` and
:func:`risk.classification.delinquency.delinquency`: grouped numpy passes over the whole
book, no loop over loans). The run then compares each loan with its last history row and
writes a :class:`portfolio.collections.BucketMove` only where something changed: the first
observation of a loan (``opening``), another bucket (``move``), or the same bucket with days
past due that ageing does not explain (``restate``: a partial payment, a pause). A loan that
stays current, or stays delinquent and ages one day per day, writes nothing; so on any day
the history says, for every loan observed, its bucket (the last row's) and its days past
due (the last row's, plus the days since when it is delinquent).

Loans that left the book go to the pseudo buckets ``closed`` and ``written_off`` (from the
loan's status) and stay there, frozen.

Once per date, forwards only (the answer to "the same date twice" and "dates out of
order"):

* every run is one transaction that starts by inserting its ``collection_run`` row, unique
  on the date: a second run of the same date (a message delivered twice, two workers, a
  rerun after a crash) finds the row and returns the stored outcome, changing nothing; a
  crash before the commit leaves nothing behind, and the rerun does the whole day;
* a date before the latest run that was never run is refused (:class:`RunOutOfOrder`): a
  history row written before later ones would make those later rows wrong;
* a date more than one day after the latest run catches up: each missed day is run, in
  order, each in its own transaction (at most ``max_catch_up_days``), so the history has no
  holes.

Case transitions are committed with the history and then handed to the ``audit`` sink, one
:class:`auth.audit_events.AuditEvent` each (a crash between the commit and the sink loses
those audit lines, never the case rows, which are the record). The changes are also
returned (:attr:`DayOutcome.changes`): the seam where a strategy engine picks up opened and
moved cases by segment.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, Final

import numpy as np
from sqlalchemy import Connection, Engine, Table, bindparam, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from auth.audit_events import AuditSink
from portfolio.collections import (
    BucketMove,
    CaseEvent,
    CollectionCase,
    CollectionRun,
    case_id_of,
)
from portfolio.loans import Loan, LoanStatus
from portfolio.raw_rows import as_date, raw_rows
from risk.classification.book import LoanBook, day_number, load_book
from risk.classification.delinquency import Delinquency, delinquency
from risk.collections.cases import (
    SYSTEM_ACTOR,
    CaseEventKind,
    CaseState,
    audit_event,
    next_state,
)
from risk.collections.config import (
    CLOSED,
    DEFAULT_COLLECTIONS,
    TERMINAL_BUCKETS,
    WRITTEN_OFF,
    CollectionsConfig,
)
from risk.collections.errors import CollectionsError, RunOutOfOrder
from risk.collections.feed import CaseChange as AnnouncedChange
from risk.collections.feed import CaseFeed
from risk.collections.segments import had_cases, risk_tiers, segment_of

__all__ = [
    "CaseChange",
    "DayOutcome",
    "ProgressHook",
    "RunOutcome",
    "latest_run_date",
    "run_collections",
]

#: Called with (what is being done, steps done, steps in all).
ProgressHook = Callable[[str, int, int], None]
_STEPS_PER_DAY: Final = 3
#: The date of a history row whose date is never read (a loan current or closed).
_NO_DATE: Final = date.min

_run: Final[Table] = CollectionRun.__table__  # type: ignore[attr-defined]
_move: Final[Table] = BucketMove.__table__  # type: ignore[attr-defined]
_case: Final[Table] = CollectionCase.__table__  # type: ignore[attr-defined]
_event: Final[Table] = CaseEvent.__table__  # type: ignore[attr-defined]
_loan: Final[Table] = Loan.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True, slots=True)
class CaseChange:
    """One case transition a run made."""

    case_id: str
    loan_id: str
    event: str
    from_state: str | None
    to_state: str
    from_bucket: str | None
    to_bucket: str
    dpd: int
    segment: str

    def as_json(self) -> dict[str, Any]:
        return {"case": self.case_id, "loan": self.loan_id, "event": self.event,
                "from_state": self.from_state, "to_state": self.to_state,
                "from_bucket": self.from_bucket, "to_bucket": self.to_bucket, "dpd": self.dpd,
                "segment": self.segment}


@dataclass(frozen=True, slots=True)
class DayOutcome:
    """The run of one date; ``already_done`` when it had been run before (then ``changes``
    is empty: the stored summary says what that run did)."""

    run_id: int
    as_of: date
    already_done: bool
    summary: dict[str, Any]
    changes: tuple[CaseChange, ...] = ()

    def as_json(self) -> dict[str, Any]:
        return {"run": self.run_id, "as_of": self.as_of.isoformat(),
                "already_done": self.already_done, "summary": self.summary}


@dataclass(frozen=True, slots=True)
class RunOutcome:
    """The days a call ran (one, or the missed days caught up, oldest first)."""

    days: tuple[DayOutcome, ...]

    @property
    def last(self) -> DayOutcome:
        return self.days[-1]

    def as_json(self) -> dict[str, Any]:
        return {"days": [d.as_json() for d in self.days]}


def latest_run_date(engine: Engine) -> date | None:
    with engine.connect() as connection:
        return connection.execute(select(func.max(_run.c.as_of))).scalar()


def _stored(connection: Connection, as_of: date) -> DayOutcome | None:
    row = connection.execute(select(_run.c.id, _run.c.summary)
                             .where(_run.c.as_of == as_of)).first()
    return None if row is None else DayOutcome(run_id=row.id, as_of=as_of, already_done=True,
                                               summary=dict(row.summary))


def run_collections(engine: Engine, as_of: date, *, audit: AuditSink,
                    config: CollectionsConfig = DEFAULT_COLLECTIONS,
                    actor: str = SYSTEM_ACTOR, client_id: str = "collections",
                    now: Callable[[], datetime] | None = None,
                    on_progress: ProgressHook | None = None,
                    feed: CaseFeed | None = None) -> RunOutcome:
    """Run the collections day ``as_of`` (and any missed days before it); see the module.

    ``actor`` is who started the run (kept on the run row); the case transitions are the
    system's. ``client_id`` goes on the audit events. Each day's case transitions are
    announced on ``feed`` once that day has committed (a day already run announces
    nothing).

    Raises:
        RunOutOfOrder: ``as_of`` is before the latest run and was never run.
        CollectionsError: more than ``config.max_catch_up_days`` days were missed.
        AsOfBeforeData, ClassificationError: no loan was disbursed by ``as_of``.
    """
    clock = now or (lambda: datetime.now(UTC))
    latest = latest_run_date(engine)
    if latest is not None and as_of <= latest:
        with engine.connect() as connection:
            stored = _stored(connection, as_of)
        if stored is None:
            raise RunOutOfOrder(as_of, latest)
        return RunOutcome((stored,))
    days = [as_of] if latest is None else \
        [latest + timedelta(days=d) for d in range(1, (as_of - latest).days + 1)]
    if len(days) > config.max_catch_up_days:
        raise CollectionsError(
            f"the last collections run was for {latest}: running {as_of} means catching up "
            f"{len(days)} days, more than max_catch_up_days ({config.max_catch_up_days})",
            suggestion="raise max_catch_up_days in the collections settings, or run the "
                       "days in between first")
    total = len(days) * _STEPS_PER_DAY
    outcomes = []
    for i, day in enumerate(days):
        def progress(step: str, done: int, day: date = day, i: int = i) -> None:
            if on_progress is not None:
                on_progress(f"{day.isoformat()}: {step}", i * _STEPS_PER_DAY + done, total)
        outcomes.append(_run_day(engine, day, config=config, audit=audit, actor=actor,
                                 client_id=client_id, clock=clock, progress=progress))
        if feed is not None:
            _announce(feed, outcomes[-1], clock())
    return RunOutcome(tuple(outcomes))


def _announce(feed: CaseFeed, outcome: DayOutcome, at: datetime) -> None:
    """Publish the committed case transitions of one day."""
    for change in outcome.changes:
        feed.publish(AnnouncedChange(
            case_id=change.case_id, loan_id=change.loan_id, event=change.event,
            from_state=change.from_state, state=change.to_state, bucket=change.to_bucket,
            segment=change.segment, actor=SYSTEM_ACTOR, at=at.isoformat()))


# ---- one day ----------------------------------------------------------------------------

@dataclass(slots=True)
class _Day:
    """What one day's run computed before it writes."""

    as_of: date
    book: LoanBook
    dq: Delinquency
    bucket: np.ndarray
    dpd: np.ndarray
    last_repaid: np.ndarray
    moves: list[dict[str, Any]] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)


def _left_book(engine: Engine, loan_ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The loans of ``loan_ids`` (sorted) whose status is not active: their indexes and
    statuses (closed or written off)."""
    with engine.connect() as connection:
        rows = raw_rows(connection, select(_loan.c.id, _loan.c.status).where(
            _loan.c.status != LoanStatus.ACTIVE.value))
    if not rows or not len(loan_ids):
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=object)
    ids = np.array([row[0] for row in rows], dtype=object)
    statuses = np.array([row[1] for row in rows], dtype=object)
    at = np.minimum(np.searchsorted(loan_ids, ids), len(loan_ids) - 1)
    found = loan_ids[at] == ids
    return at[found], statuses[found]


def _compute(engine: Engine, as_of: date, config: CollectionsConfig) -> _Day:
    book = load_book(engine, as_of, bureau=False)
    dq = delinquency(book)
    names = np.array(config.bucket_names(), dtype=object)
    bucket = names[config.bucket_index(dq.days_past_due)]
    left, status = _left_book(engine, book.loan_ids)
    bucket[left[status == LoanStatus.WRITTEN_OFF.value]] = WRITTEN_OFF
    bucket[left[status == LoanStatus.CLOSED.value]] = CLOSED
    last_repaid = np.full(len(book), -1, dtype=np.int64)
    if len(book.rep_loan):
        np.maximum.at(last_repaid, book.rep_loan, book.rep_day)
    return _Day(as_of=as_of, book=book, dq=dq, bucket=bucket,
                dpd=dq.days_past_due.astype(np.int64), last_repaid=last_repaid)


def _latest_rows(connection: Connection) -> dict[str, tuple[str, int, date]]:
    """Each observed loan's last history row: (bucket, dpd, effective_on)."""
    ranked = select(_move.c.loan_id, _move.c.to_bucket, _move.c.dpd, _move.c.effective_on,
                    func.row_number().over(partition_by=_move.c.loan_id,
                                           order_by=_move.c.effective_on.desc())
                    .label("rank")).subquery()
    rows = raw_rows(connection, select(ranked.c.loan_id, ranked.c.to_bucket, ranked.c.dpd,
                                        ranked.c.effective_on).where(ranked.c.rank == 1))
    # Only a delinquent row's date is ever read (ageing): parse only those.
    return {loan: (bucket, dpd, as_date(since) if dpd else _NO_DATE)
            for loan, bucket, dpd, since in rows}


def _history_rows(day: _Day, previous: dict[str, tuple[str, int, date]], run_id: int) -> None:
    """Fill ``day.moves`` with the rows this day adds (see the module); the ``dpd`` of a
    loan staying in a pseudo bucket is frozen at the value it entered with."""
    counts = {"opening": 0, "move": 0, "restate": 0}
    ids = day.book.loan_ids.tolist()
    buckets = day.bucket.tolist()
    dpds = day.dpd.tolist()
    for i, loan in enumerate(ids):
        bucket, dpd = buckets[i], dpds[i]
        before = previous.get(loan)
        if before is None:
            kind, source = "opening", None
        else:
            source, old_dpd, since = before
            if bucket == source:
                if bucket in TERMINAL_BUCKETS:
                    continue
                expected = old_dpd + (day.as_of - since).days if old_dpd > 0 else 0
                if dpd == expected:
                    continue
                kind = "restate"
            else:
                kind = "move"
        counts[kind] += 1
        day.moves.append({"loan_id": loan, "effective_on": day.as_of, "from_bucket": source,
                          "to_bucket": bucket, "dpd": dpd, "kind": kind, "run_id": run_id,
                          "_index": i})
    day.counts.update(counts)


_CLOSING: Final = {CLOSED: CaseEventKind.CLOSED, WRITTEN_OFF: CaseEventKind.WRITTEN_OFF}


def _reason(event: CaseEventKind, bucket: str, dpd: int, source: str | None) -> str:
    if event is CaseEventKind.OPENED:
        return f"entered delinquent bucket {bucket} with {dpd} days past due"
    if event is CaseEventKind.MOVED:
        return f"moved from bucket {source} to {bucket} with {dpd} days past due"
    if event is CaseEventKind.CURED:
        return f"back to {bucket}: nothing past due"
    return f"the loan was {'written off' if bucket == WRITTEN_OFF else 'closed'}"


def _cases(connection: Connection, day: _Day, config: CollectionsConfig, run_id: int,
           at: datetime) -> tuple[list[CaseChange], dict[str, list[dict[str, Any]]]]:
    """The case transitions of the day's history rows, and the rows to write for them."""
    current = config.current
    live = {row.loan_id: row for row in connection.execute(
        select(_case.c.id, _case.c.loan_id, _case.c.state, _case.c.bucket, _case.c.segment)
        .where(_case.c.closed_on.is_(None)))}
    touched = [m for m in day.moves
               if m["loan_id"] in live or m["to_bucket"] not in TERMINAL_BUCKETS | {current}]
    needs_segment = [m for m in touched if m["to_bucket"] not in TERMINAL_BUCKETS | {current}]
    loans = [m["loan_id"] for m in needs_segment]
    tiers = risk_tiers(connection, day.as_of, loans)
    before = had_cases(connection, _case, loans)
    seqs: dict[str, int] = {}
    live_ids = [live[m["loan_id"]].id for m in touched if m["loan_id"] in live]
    for start in range(0, len(live_ids), 500):
        seqs.update(connection.execute(
            select(_event.c.case_id, func.max(_event.c.seq)).where(
                _event.c.case_id.in_(live_ids[start:start + 500]))
            .group_by(_event.c.case_id)).all())
    window = day_number(day.as_of) - config.paying_window_days
    rows: dict[str, list[dict[str, Any]]] = {"new": [], "moved": [], "restated": [],
                                             "closed": [], "events": []}
    changes: list[CaseChange] = []
    for move in touched:
        i, loan, bucket, dpd = move["_index"], move["loan_id"], move["to_bucket"], move["dpd"]
        case = live.get(loan)
        delinquent = bucket not in TERMINAL_BUCKETS and bucket != current
        segment = None
        if delinquent:
            segment = segment_of(config, tier=tiers.get(loan),
                                 outstanding_minor=int(day.dq.outstanding[i]),
                                 currency=str(day.book.currency[i]),
                                 repaid_within_window=bool(day.last_repaid[i] > window),
                                 had_case=loan in before)
        if case is None:
            event, source_state, case_id, source_bucket = CaseEventKind.OPENED, None, \
                case_id_of(loan, day.as_of), None
        else:
            case_id, source_bucket = case.id, case.bucket
            source_state = CaseState(case.state)
            never_behind = bucket == current and case.bucket == current
            if not delinquent and not never_behind:
                event = CaseEventKind.CURED if bucket == current else _CLOSING[bucket]
            elif delinquent and bucket != case.bucket:
                event = CaseEventKind.MOVED
            else:
                # No transition, the figures follow: the same bucket with its days restated,
                # or a case the event flow opened on a loan that was not behind (no arrears
                # to cure: it stays open until a person closes it or the loan falls behind).
                rows["restated"].append({"b_id": case_id, "dpd": dpd, "as_of": day.as_of,
                                         "outstanding_minor": int(day.dq.outstanding[i]),
                                         "updated_at": at})
                continue
        to_state = next_state(case_id, source_state, event)
        seq = seqs.get(case_id, 0) + 1
        seqs[case_id] = seq
        reason = _reason(event, bucket, dpd, source_bucket)
        rows["events"].append({
            "case_id": case_id, "seq": seq, "event": event.value,
            "from_state": None if source_state is None else source_state.value,
            "to_state": to_state.value, "from_bucket": source_bucket, "to_bucket": bucket,
            "dpd": dpd, "effective_on": day.as_of, "actor": SYSTEM_ACTOR, "reason": reason,
            "run_id": run_id, "recorded_at": at})
        figures = {"dpd": dpd, "as_of": day.as_of,
                   "outstanding_minor": int(day.dq.outstanding[i]), "updated_at": at}
        if event is CaseEventKind.OPENED:
            assert segment is not None
            rows["new"].append({
                "id": case_id, "loan_id": loan, "borrower_id": str(day.book.borrower_ids[i]),
                "opened_on": day.as_of, "closed_on": None, "state": to_state.value,
                "bucket": bucket, "bucket_since": day.as_of,
                "currency": str(day.book.currency[i]), "risk_tier": segment.risk_tier,
                "balance_band": segment.balance_band, "behaviour": segment.behaviour,
                "segment": segment.key, **figures})
        elif event is CaseEventKind.MOVED:
            assert segment is not None
            rows["moved"].append({"b_id": case_id, "bucket": bucket, "bucket_since": day.as_of,
                                  "risk_tier": segment.risk_tier,
                                  "balance_band": segment.balance_band,
                                  "behaviour": segment.behaviour, "segment": segment.key,
                                  **figures})
        else:
            rows["closed"].append({"b_id": case_id, "state": to_state.value,
                                   "closed_on": day.as_of, "bucket": bucket,
                                   "bucket_since": day.as_of, **figures})
        changes.append(CaseChange(
            case_id=case_id, loan_id=loan, event=event.value,
            from_state=None if source_state is None else source_state.value,
            to_state=to_state.value, from_bucket=source_bucket, to_bucket=bucket, dpd=dpd,
            segment=case.segment if segment is None and case is not None
            else "" if segment is None else segment.key))
    return changes, rows


def _write(connection: Connection, day: _Day, rows: dict[str, list[dict[str, Any]]]) -> None:
    if day.moves:
        connection.execute(insert(_move), [{k: v for k, v in m.items() if k != "_index"}
                                           for m in day.moves])
    if rows["new"]:
        connection.execute(insert(_case), rows["new"])
    by_id = _case.c.id == bindparam("b_id")
    for key in ("moved", "restated", "closed"):
        if rows[key]:
            columns = [k for k in rows[key][0] if k != "b_id"]
            connection.execute(update(_case).where(by_id).values(
                {c: bindparam(c) for c in columns}), rows[key])
    if rows["events"]:
        connection.execute(insert(_event), rows["events"])


def _summary(day: _Day, config: CollectionsConfig, changes: list[CaseChange],
             open_cases: int, seconds: dict[str, float]) -> dict[str, Any]:
    names, counts = np.unique(day.bucket.astype(str), return_counts=True)
    found = dict(zip(names.tolist(), counts.tolist(), strict=True))
    by_bucket = {name: found.get(name, 0) for name in [*config.bucket_names(), CLOSED,
                                                       WRITTEN_OFF]}
    events: dict[str, int] = {e.value: 0 for e in CaseEventKind if e.value not in
                              ("held", "resumed", "escalated")}
    for change in changes:
        events[change.event] += 1
    return {"loans": len(day.book), "by_bucket": by_bucket, "history_rows": dict(day.counts),
            "cases": events, "open_cases": open_cases, "seconds": seconds}


def _run_day(engine: Engine, as_of: date, *, config: CollectionsConfig, audit: AuditSink,
             actor: str, client_id: str, clock: Callable[[], datetime],
             progress: Callable[[str, int], None]) -> DayOutcome:
    started_at = clock()
    progress("reading the book and computing days past due", 0)
    started = time.perf_counter()
    day = _compute(engine, as_of, config)
    seconds = {"compute": round(time.perf_counter() - started, 3)}
    progress("comparing with the history, updating cases", 1)
    started = time.perf_counter()
    try:
        with engine.begin() as connection:
            run_id = connection.execute(insert(_run).values(
                as_of=as_of, started_at=started_at, finished_at=started_at, actor=actor,
                config=config.as_json(), summary={})).inserted_primary_key[0]
            later = connection.execute(select(func.max(_run.c.as_of))
                                       .where(_run.c.as_of > as_of)).scalar()
            if later is not None:
                raise RunOutOfOrder(as_of, later)
            _history_rows(day, _latest_rows(connection), run_id)
            at = clock()
            changes, rows = _cases(connection, day, config, run_id, at)
            _write(connection, day, rows)
            open_cases = connection.execute(select(func.count()).select_from(_case).where(
                _case.c.closed_on.is_(None))).scalar() or 0
            seconds["write"] = round(time.perf_counter() - started, 3)
            summary = _summary(day, config, changes, int(open_cases), seconds)
            connection.execute(update(_run).where(_run.c.id == run_id).values(
                finished_at=clock(), summary=summary))
    except IntegrityError:
        # Another run of this date committed first: its outcome is the outcome.
        with engine.connect() as connection:
            stored = _stored(connection, as_of)
        if stored is None:
            raise
        return stored
    progress("reporting to the audit trail", 2)
    for change in changes:
        audit.record(audit_event(
            case_id=change.case_id, loan_id=change.loan_id, event=CaseEventKind(change.event),
            from_state=change.from_state, to_state=change.to_state, actor=SYSTEM_ACTOR,
            reason=_reason(CaseEventKind(change.event), change.to_bucket, change.dpd,
                           change.from_bucket),
            effective_on=as_of, at=at, client_id=client_id,
            detail={"run": run_id, "from_bucket": change.from_bucket,
                    "to_bucket": change.to_bucket, "dpd": change.dpd,
                    "segment": change.segment}))
    progress("done", 3)
    return DayOutcome(run_id=run_id, as_of=as_of, already_done=False, summary=summary,
                      changes=tuple(changes))
