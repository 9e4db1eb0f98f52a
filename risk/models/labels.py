"""The default date of every borrower, and the 12-month label as of a date.

:func:`read_history` reads the whole book once (every installment, repayment and
modification on record) with the classification's reader and runs its delinquency pass;
:func:`default_events` then finds, per party, the first day any criterion of a
:class:`~risk.models.default_definition.DefaultDefinition` held, which criterion it was
and on which loan (or event).

The first day a loan was more than T days past due comes from the installments' history:
installment *i*, effectively due on ``e`` and fully paid on ``p`` (the day the running
total of repayments reached the running total due through it), is more than T days late
on day ``e + T + 1`` (plus the paused days in between) when ``p`` is later than that day.
The loan's first such day over its installments is the first day its days past due, as
:func:`risk.classification.delinquency.delinquency` counts them as of any date, exceeded
T. Only repayments up to a day decide whether that day was late, so the day found never
depends on data dated after it; and days after the last data (``observed_until``) are
never taken, since nothing says whether those installments were paid.

The label of a borrower as of D with horizon h months: 1 when its first default day lies
in ``(D, D + h months]``, 0 otherwise; a borrower whose first default day is on or before
D is in default already and is left out of a dataset as of D.

Complexity: O(n log n) in installments and repayments (the delinquency pass), plus one
streamed read of the ``MENTIONED_IN`` edges for bankruptcy events.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, Final

import numpy as np
from sqlalchemy import Engine, Table, func, select

from graph.model import RelType
from graph.store import GraphStore
from portfolio.bureau import BureauSnapshot
from portfolio.loans import Loan, LoanStatus
from portfolio.modifications import Modification
from portfolio.repayments import Repayment
from risk.classification.book import LoanBook, day_number, load_book, to_date
from risk.classification.delinquency import (
    NEVER,
    Delinquency,
    add_months,
    delinquency,
    paused_days,
)
from risk.iso_days import iso_days
from risk.models.default_definition import CRITERIA, DEFAULT, DefaultDefinition
from risk.rules.inputs import text_array

__all__ = ["DefaultEvents", "EventRows", "History", "default_events", "first_day_over",
           "read_events", "read_history"]

_loan: Final[Table] = Loan.__table__  # type: ignore[attr-defined]
_repayment: Final[Table] = Repayment.__table__  # type: ignore[attr-defined]
_modification: Final[Table] = Modification.__table__  # type: ignore[attr-defined]
_bureau: Final[Table] = BureauSnapshot.__table__  # type: ignore[attr-defined]
#: Pause adjustment rounds of :func:`first_day_over` (each adds the paused days the
#: previous candidate day covered; pauses are short and rare, two rounds settle them).
_PAUSE_ROUNDS: Final = 4
_EVENT_PROPS: Final = ("kind", "occurred_on", "severity", "title")


@dataclass(frozen=True, slots=True)
class History:
    """The whole book on record and its delinquency pass, the last day of the data
    (``observed_until``: the latest repayment, disbursement, modification or bureau
    snapshot) and which loans (book indices) are written off."""

    book: LoanBook
    dq: Delinquency
    observed_until: date
    written_off: np.ndarray


def _latest(connection: Any, column: Any) -> date | None:
    found = connection.execute(select(func.max(column))).scalar()
    return found if isinstance(found, date) else None


def read_history(engine: Engine, *, through: date | None = None) -> History:
    """Every loan with its installments due, repayments paid and modifications effective
    up to the last day of the data (or ``through``, when later): an installment due later
    cannot have been more than a day late by then, so it could date no default.

    Raises:
        risk.classification.errors.ClassificationError: no loans are stored.
    """
    with engine.connect() as connection:
        dates = [_latest(connection, column) for column in (
            _repayment.c.paid_on, _loan.c.disbursed_on, _modification.c.effective_on,
            _bureau.c.as_of)]
        written = [row[0] for row in connection.execute(
            select(_loan.c.id).where(_loan.c.status == LoanStatus.WRITTEN_OFF.value))]
    known = [d for d in dates if d is not None]
    observed_until = max(known) if known else date(1970, 1, 1)
    book = load_book(engine, max(observed_until, through or observed_until))
    ids = text_array(book.loan_ids)
    wanted = text_array(sorted(written))
    at = np.searchsorted(ids, wanted)
    hit = at < len(ids)
    hit[hit] = ids[at[hit]] == wanted[hit]
    return History(book=book, dq=delinquency(book), observed_until=observed_until,
                   written_off=at[hit].astype(np.int64))


def first_day_over(history: History, threshold: int) -> np.ndarray:
    """Per loan of the book, the first day it was more than ``threshold`` days past due
    (net of pauses), on or before ``observed_until``; ``NEVER`` if none (see the module)."""
    book, dq = history.book, history.dq
    due = dq.effective_due
    paid = dq.paid_day
    base = due + threshold + 1
    day = base.copy()
    if len(dq.pause_loan):
        for _ in range(_PAUSE_ROUNDS):
            day = base + paused_days(dq.pause_loan, dq.pause_start, dq.pause_end,
                                     book.inst_loan, due, day)
    hit = (paid > day) & (day <= day_number(history.observed_until))
    first = np.full(len(book), NEVER, dtype=np.int64)
    np.minimum.at(first, book.inst_loan[hit], day[hit])
    return first


@dataclass(frozen=True, slots=True)
class EventRows:
    """Every (party, event) mention: ``party`` and ``event`` ids (:func:`text_array`),
    ``kind`` and ``title`` (object, ``""`` when missing), ``day`` (int64 day number, NEVER
    when the event has no readable date) and ``severity`` (int64, 1 when missing)."""

    party: np.ndarray
    event: np.ndarray
    kind: np.ndarray
    title: np.ndarray
    day: np.ndarray
    severity: np.ndarray

    def __len__(self) -> int:
        return len(self.party)


def _event_days(values: list[Any]) -> np.ndarray:
    days = iso_days(values)
    found = np.full(len(values), NEVER, dtype=np.int64)
    known = ~np.isnat(days)
    found[known] = days[known].astype(np.int64)
    return found


def read_events(graph: GraphStore) -> EventRows:
    """Every ``MENTIONED_IN`` edge with its event's kind, date, severity and title, streamed
    once (events after any as-of date are dropped by whoever reads them)."""
    party: list[str] = []
    event: list[str] = []
    values: list[tuple[Any, ...]] = []
    for batch in graph.iter_edges([RelType.MENTIONED_IN], target_props=_EVENT_PROPS):
        for _, source, target, _, found in batch:
            party.append(source)
            event.append(target)
            values.append(found)
    kind = np.array([v[0] if isinstance(v[0], str) else "" for v in values], dtype=object)
    severity = np.array([v[2] if isinstance(v[2], int) and not isinstance(v[2], bool) else 1
                         for v in values], dtype=np.int64)
    title = np.array([v[3] if isinstance(v[3], str) else "" for v in values], dtype=object)
    return EventRows(party=text_array(party), event=text_array(event), kind=kind, title=title,
                     day=_event_days([v[1] for v in values]), severity=severity)


@dataclass(frozen=True, slots=True)
class DefaultEvents:
    """The first default of every party that defaulted on record, sorted by party id:
    ``day`` (int64 day number), ``criterion`` (one of :data:`CRITERIA`) and ``cause`` (the
    loan id, or the event id of a bankruptcy)."""

    party_ids: np.ndarray
    day: np.ndarray
    criterion: np.ndarray
    cause: np.ndarray
    observed_until: date
    definition: DefaultDefinition

    def __len__(self) -> int:
        return len(self.party_ids)

    def days_of(self, ids: np.ndarray) -> np.ndarray:
        """The first default day of each of ``ids`` (:func:`text_array`), NEVER if none."""
        found = np.full(len(ids), NEVER, dtype=np.int64)
        if not len(self.party_ids) or not len(ids):
            return found
        at = np.minimum(np.searchsorted(self.party_ids, ids), len(self.party_ids) - 1)
        hit = self.party_ids[at] == ids
        found[hit] = self.day[at[hit]]
        return found

    def defaulted_by(self, as_of: date) -> np.ndarray:
        """The parties whose first default day is on or before ``as_of`` (sorted ids)."""
        return self.party_ids[self.day <= day_number(as_of)]

    def label(self, ids: np.ndarray, as_of: date, horizon_months: int) -> np.ndarray:
        """int8 per id: 1 when it first defaults in ``(as_of, as_of + horizon_months]``."""
        start = day_number(as_of)
        end = int(add_months(np.array([start]), horizon_months)[0])
        days = self.days_of(ids)
        return ((days > start) & (days <= end)).astype(np.int8)

    def first(self, party_id: str) -> tuple[date, str, str] | None:
        """``(day, criterion, cause)`` of ``party_id``'s first default, or None."""
        days = self.days_of(text_array([party_id]))
        if days[0] == NEVER:
            return None
        at = int(np.searchsorted(self.party_ids, party_id))
        return to_date(int(days[0])), str(self.criterion[at]), str(self.cause[at])


def _restructurings(engine: Engine, definition: DefaultDefinition,
                    book: LoanBook) -> tuple[np.ndarray, np.ndarray]:
    """(book loan index, effective day) of every modification that counts."""
    condition = _modification.c.financial_difficulty.is_(True)
    if definition.restructuring_kinds:
        condition = condition | _modification.c.kind.in_(definition.restructuring_kinds)
    with engine.connect() as connection:
        rows = connection.execute(select(_modification.c.loan_id, _modification.c.effective_on)
                                  .where(condition)).fetchall()
    if not rows or not len(book):
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    ids = text_array(book.loan_ids)
    wanted = text_array([row[0] for row in rows])
    at = np.minimum(np.searchsorted(ids, wanted), len(ids) - 1)
    hit = ids[at] == wanted
    days = np.array([day_number(row[1]) for row in rows], dtype=np.int64)
    return at[hit].astype(np.int64), days[hit]


def _bankruptcies(events: EventRows, definition: DefaultDefinition
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(party, day, event id) of every mention of a bankruptcy event."""
    kinds = {k.lower() for k in definition.bankruptcy_kinds}
    words = [w.lower() for w in definition.bankruptcy_words]
    kind_hit = np.array([k.lower() in kinds for k in events.kind.tolist()], dtype=bool)
    word_hit = np.array([any(w in t.lower() for w in words) for t in events.title.tolist()],
                        dtype=bool) if words else np.zeros(len(events), dtype=bool)
    keep = (kind_hit | word_hit) & (events.severity >= definition.bankruptcy_min_severity) \
        & (events.day < NEVER)
    return events.party[keep], events.day[keep], events.event[keep]


def default_events(engine: Engine, graph: GraphStore,
                   definition: DefaultDefinition = DEFAULT, *,
                   history: History | None = None,
                   events: EventRows | None = None) -> DefaultEvents:
    """The first default of every party under ``definition`` (see the module).

    ``history`` and ``events`` may be given when the caller has read them already
    (:func:`read_history`, :func:`read_events`).
    """
    history = read_history(engine) if history is None else history
    book = history.book
    parties: list[np.ndarray] = []
    days: list[np.ndarray] = []
    ranks: list[np.ndarray] = []
    causes: list[np.ndarray] = []
    borrowers = text_array(book.borrower_ids)

    def add(loans: np.ndarray, on: np.ndarray, criterion: str) -> None:
        keep = on < NEVER
        parties.append(borrowers[loans[keep]])
        days.append(on[keep])
        ranks.append(np.full(int(keep.sum()), CRITERIA.index(criterion), dtype=np.int64))
        causes.append(book.loan_ids[loans[keep]].astype(object))

    every = np.arange(len(book), dtype=np.int64)
    if definition.days_past_due is not None:
        add(every, first_day_over(history, definition.days_past_due), "days_past_due")
    if definition.write_off and len(history.written_off):
        over = first_day_over(history, definition.write_off_days_past_due)[history.written_off]
        dated = np.where(over < NEVER, over, day_number(history.observed_until))
        add(history.written_off, dated, "write_off")
    if definition.restructuring:
        loans, on = _restructurings(engine, definition, book)
        add(loans, on, "restructuring")
    if definition.bankruptcy:
        events = read_events(graph) if events is None else events
        party, on, event = _bankruptcies(events, definition)
        parties.append(party)
        days.append(on)
        ranks.append(np.full(len(party), CRITERIA.index("bankruptcy"), dtype=np.int64))
        causes.append(event.astype(object))
    party = np.concatenate(parties) if parties else np.zeros(0, dtype="<U1")
    party = text_array(party) if len(party) else np.zeros(0, dtype="<U1")
    day = np.concatenate(days) if days else np.zeros(0, dtype=np.int64)
    rank = np.concatenate(ranks) if ranks else np.zeros(0, dtype=np.int64)
    cause = np.concatenate(causes) if causes else np.zeros(0, dtype=object)
    cause_text = text_array(cause) if len(cause) else np.zeros(0, dtype="<U1")
    # First by day, then by criterion order, then by cause id: deterministic.
    order = np.lexsort((cause_text, rank, day, party))
    party, day, rank, cause = party[order], day[order], rank[order], cause[order]
    first = np.ones(len(party), dtype=bool)
    first[1:] = party[1:] != party[:-1]
    return DefaultEvents(
        party_ids=party[first], day=day[first],
        criterion=np.array(CRITERIA, dtype=object)[rank[first]] if len(rank)
        else np.zeros(0, dtype=object),
        cause=cause[first], observed_until=history.observed_until, definition=definition)
