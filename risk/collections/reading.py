"""Collections read in batches and pages, for views that show many at once (the API).

* :func:`case_page`: cases filtered by state, bucket, segment or loan, the most days past
  due first, a page at an offset;
* :func:`cases_by_id`, :func:`cases_of_loans`, :func:`case_histories`,
  :func:`case_triggers` and :func:`bucket_histories`: one query per :data:`IDS_PER_QUERY`
  keys, so a page of a hundred cases with their loans' histories costs what a page of one
  costs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import date
from typing import Any, Final

from sqlalchemy import Engine, Table, select

from portfolio.alert_follow_ups import AlertFollowUp
from portfolio.collections import BucketMove, CaseEvent, CollectionCase
from portfolio.key_chunks import IDS_PER_QUERY, key_chunks
from risk.collections.cases import CaseHistoryEntry, CaseState, CaseTrigger, CaseView, trigger_of
from risk.collections.errors import CollectionsError

__all__ = ["IDS_PER_QUERY", "BucketEntry", "bucket_histories", "case_histories",
           "case_page", "case_triggers", "cases_by_id", "cases_of_loans"]


_case: Final[Table] = CollectionCase.__table__  # type: ignore[attr-defined]
_event: Final[Table] = CaseEvent.__table__  # type: ignore[attr-defined]
_move: Final[Table] = BucketMove.__table__  # type: ignore[attr-defined]
_trigger: Final[Table] = AlertFollowUp.__table__  # type: ignore[attr-defined]
#: What a case view holds besides the case row's columns (read by their own queries).
_NOT_COLUMNS: Final = frozenset({"history", "triggers"})
_CASE_COLUMNS: Final = tuple(f.name for f in fields(CaseView) if f.name not in _NOT_COLUMNS)
_HISTORY_COLUMNS: Final = tuple(f.name for f in fields(CaseHistoryEntry))

@dataclass(frozen=True, slots=True)
class BucketEntry:
    """One row of a loan's bucket history: from ``effective_on`` it was in ``to_bucket``
    (coming from ``from_bucket``, ``None`` at its first observation) with ``dpd`` days past
    due; ``kind`` is ``opening``, ``move`` or ``restate``."""

    loan_id: str
    effective_on: date
    from_bucket: str | None
    to_bucket: str
    dpd: int
    kind: str
    run_id: int


def _case_view(row: Any) -> CaseView:
    return CaseView(**{name: getattr(row, name) for name in _CASE_COLUMNS})


def _selected() -> Any:
    return select(*[_case.c[name] for name in _CASE_COLUMNS])


def case_page(engine: Engine, *, states: Sequence[str] | None = None,
              buckets: Sequence[str] | None = None, segment: str | None = None,
              loan_id: str | None = None, limit: int, offset: int = 0) -> list[CaseView]:
    """Cases without their transitions, the most days past due first (then by id), of
    ``states``, ``buckets``, ``segment`` and ``loan_id`` when given; ``limit`` from
    ``offset``.

    Raises:
        CollectionsError: an unknown state, or ``limit`` below 1 or ``offset`` below 0.
    """
    if limit < 1 or offset < 0:
        raise CollectionsError(f"limit must be at least 1 and offset at least 0, got "
                               f"{limit} and {offset}")
    statement = _selected()
    if states:
        unknown = sorted(set(states) - {s.value for s in CaseState})
        if unknown:
            raise CollectionsError(f"unknown case state(s): {', '.join(unknown)}; known: "
                                   f"{', '.join(s.value for s in CaseState)}")
        statement = statement.where(_case.c.state.in_(list(states)))
    if buckets:
        statement = statement.where(_case.c.bucket.in_(list(buckets)))
    if segment is not None:
        statement = statement.where(_case.c.segment == segment)
    if loan_id is not None:
        statement = statement.where(_case.c.loan_id == loan_id)
    statement = statement.order_by(_case.c.dpd.desc(), _case.c.id).limit(limit).offset(offset)
    with engine.connect() as connection:
        return [_case_view(row) for row in connection.execute(statement)]


def cases_by_id(engine: Engine, case_ids: Sequence[str]) -> dict[str, CaseView]:
    """The cases of ``case_ids`` that exist (without their transitions), by id."""
    found: dict[str, CaseView] = {}
    with engine.connect() as connection:
        for chunk in key_chunks(case_ids):
            for row in connection.execute(_selected().where(_case.c.id.in_(chunk))):
                found[row.id] = _case_view(row)
    return found


def cases_of_loans(engine: Engine, loan_ids: Sequence[str]) -> dict[str, CaseView]:
    """Each loan's case: the one not closed when it has one, else its latest (the last
    opened); loans that never had a case are absent."""
    found: dict[str, CaseView] = {}
    with engine.connect() as connection:
        for chunk in key_chunks(loan_ids):
            rows = connection.execute(_selected().where(_case.c.loan_id.in_(chunk))
                                      .order_by(_case.c.loan_id, _case.c.opened_on))
            for row in rows:
                held = found.get(row.loan_id)
                if held is None or held.closed_on is not None:
                    found[row.loan_id] = _case_view(row)
    return found


def case_histories(engine: Engine, case_ids: Sequence[str]
                   ) -> dict[str, list[CaseHistoryEntry]]:
    """The transitions of each case of ``case_ids``, oldest first (empty lists absent)."""
    found: dict[str, list[CaseHistoryEntry]] = {}
    with engine.connect() as connection:
        for chunk in key_chunks(case_ids):
            rows = connection.execute(
                select(_event.c.case_id, *[_event.c[name] for name in _HISTORY_COLUMNS])
                .where(_event.c.case_id.in_(chunk))
                .order_by(_event.c.case_id, _event.c.seq))
            for row in rows:
                found.setdefault(row.case_id, []).append(CaseHistoryEntry(
                    **{name: getattr(row, name) for name in _HISTORY_COLUMNS}))
    return found


def case_triggers(engine: Engine, case_ids: Sequence[str]) -> dict[str, list[CaseTrigger]]:
    """The alerts of the event flow that opened or joined each case of ``case_ids``, in the
    order they came (cases without any absent)."""
    found: dict[str, list[CaseTrigger]] = {}
    with engine.connect() as connection:
        for chunk in key_chunks(case_ids):
            rows = connection.execute(select(_trigger).where(_trigger.c.case_id.in_(chunk))
                                      .order_by(_trigger.c.case_id, _trigger.c.id))
            for row in rows:
                found.setdefault(row.case_id, []).append(trigger_of(row))
    return found


def bucket_histories(engine: Engine, loan_ids: Sequence[str]) -> dict[str, list[BucketEntry]]:
    """The bucket history of each loan of ``loan_ids`` that has one, oldest first."""
    found: dict[str, list[BucketEntry]] = {}
    with engine.connect() as connection:
        for chunk in key_chunks(loan_ids):
            rows = connection.execute(select(_move).where(_move.c.loan_id.in_(chunk))
                                      .order_by(_move.c.loan_id, _move.c.effective_on))
            for row in rows:
                found.setdefault(row.loan_id, []).append(BucketEntry(
                    loan_id=row.loan_id, effective_on=row.effective_on,
                    from_bucket=row.from_bucket, to_bucket=row.to_bucket, dpd=int(row.dpd),
                    kind=row.kind, run_id=int(row.run_id)))
    return found
