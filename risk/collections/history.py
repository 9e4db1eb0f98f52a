"""Reading the bucket history: a loan's bucket and days past due on any date the daily runs
covered, and every loan's on one date (for reports).

A loan's position on day X is its last :class:`portfolio.collections.BucketMove` effective
on or before X: that row's bucket, and its days past due plus the days since the row when
the loan is delinquent (a row is written whenever the days past due stop following that
rule, see :mod:`risk.collections.run`). Runs are contiguous from the first (missed days are
caught up), so every day from the first run to the latest has an answer; days outside
raise :class:`HistoryNotCovered`, and so does a day before the loan was first observed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Final

from sqlalchemy import Connection, Engine, Table, func, select

from portfolio.collections import BucketMove, CollectionRun
from portfolio.loans import Loan
from risk.collections.config import TERMINAL_BUCKETS
from risk.collections.errors import CollectionsError, HistoryNotCovered

__all__ = ["BucketPosition", "bucket_as_of", "bucket_positions", "buckets_on", "covered_days"]

_run: Final[Table] = CollectionRun.__table__  # type: ignore[attr-defined]
_move: Final[Table] = BucketMove.__table__  # type: ignore[attr-defined]
_loan: Final[Table] = Loan.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True, slots=True)
class BucketPosition:
    """Where ``loan_id`` stood on ``as_of``: ``bucket`` since ``since`` (the row that put
    it there, written by run ``run_id``), ``dpd`` days past due."""

    loan_id: str
    as_of: date
    bucket: str
    dpd: int
    since: date
    run_id: int

    def as_json(self) -> dict[str, Any]:
        return {"loan": self.loan_id, "as_of": self.as_of.isoformat(), "bucket": self.bucket,
                "dpd": self.dpd, "since": self.since.isoformat(), "run": self.run_id}


def _aged(bucket: str, dpd: int, since: date, as_of: date) -> int:
    if bucket in TERMINAL_BUCKETS or dpd == 0:
        return dpd
    return dpd + (as_of - since).days


def covered_days(connection: Connection) -> tuple[date | None, date | None]:
    """The first and the latest date the runs covered (``None`` before any run)."""
    first, last = connection.execute(select(func.min(_run.c.as_of),
                                            func.max(_run.c.as_of))).one()
    return first, last


def _check_covered(connection: Connection, what: str, as_of: date) -> None:
    first, last = covered_days(connection)
    if first is None or last is None or not first <= as_of <= last:
        raise HistoryNotCovered(what, as_of, first, last)


def bucket_as_of(engine: Engine, loan_id: str, as_of: date) -> BucketPosition:
    """Loan ``loan_id``'s bucket and days past due on ``as_of``.

    Raises:
        CollectionsError: no such loan.
        HistoryNotCovered: ``as_of`` is outside the days the runs covered, or before the
            loan was first observed.
    """
    with engine.connect() as connection:
        if connection.execute(select(_loan.c.id).where(_loan.c.id == loan_id)).first() \
                is None:
            raise CollectionsError(f"no loan {loan_id!r}")
        _check_covered(connection, f"loan {loan_id}", as_of)
        row = connection.execute(
            select(_move.c.to_bucket, _move.c.dpd, _move.c.effective_on, _move.c.run_id)
            .where(_move.c.loan_id == loan_id, _move.c.effective_on <= as_of)
            .order_by(_move.c.effective_on.desc()).limit(1)).first()
        if row is None:
            first = connection.execute(select(func.min(_move.c.effective_on))
                                       .where(_move.c.loan_id == loan_id)).scalar()
            raise HistoryNotCovered(f"loan {loan_id} (first observed "
                                    f"{'never' if first is None else first.isoformat()})",
                                    as_of, *covered_days(connection))
    bucket, dpd, since, run_id = row
    return BucketPosition(loan_id=loan_id, as_of=as_of, bucket=bucket,
                          dpd=_aged(bucket, int(dpd), since, as_of), since=since,
                          run_id=int(run_id))


def buckets_on(engine: Engine, as_of: date) -> dict[str, tuple[str, int]]:
    """Every loan observed by ``as_of``: its (bucket, days past due) on ``as_of``.

    Raises:
        HistoryNotCovered: ``as_of`` is outside the days the runs covered.
    """
    with engine.connect() as connection:
        _check_covered(connection, "the portfolio", as_of)
        ranked = select(_move.c.loan_id, _move.c.to_bucket, _move.c.dpd, _move.c.effective_on,
                        func.row_number().over(partition_by=_move.c.loan_id,
                                               order_by=_move.c.effective_on.desc())
                        .label("rank")).where(_move.c.effective_on <= as_of).subquery()
        rows = connection.execute(select(ranked.c.loan_id, ranked.c.to_bucket, ranked.c.dpd,
                                         ranked.c.effective_on).where(ranked.c.rank == 1))
        return {loan: (bucket, _aged(bucket, int(dpd), since, as_of))
                for loan, bucket, dpd, since in rows}


#: Loans per query of :func:`bucket_positions` (within every database's parameter limit).
_LOANS_PER_QUERY: Final = 500


def bucket_positions(engine: Engine, loan_ids: Sequence[str], as_of: date
                     ) -> dict[str, BucketPosition | CollectionsError]:
    """:func:`bucket_as_of` for many loans at once (one query per 500 loans, plus one for
    those without an answer): each loan's position on ``as_of``, or the error
    :func:`bucket_as_of` would raise for it (``CollectionsError`` for an unknown loan,
    :class:`HistoryNotCovered` for a day outside the runs or before its first
    observation)."""
    unique = list(dict.fromkeys(loan_ids))
    found: dict[str, BucketPosition | CollectionsError] = {}
    with engine.connect() as connection:
        first, last = covered_days(connection)
        if first is None or last is None or not first <= as_of <= last:
            known: set[str] = set()
            for start in range(0, len(unique), _LOANS_PER_QUERY):
                known.update(connection.execute(select(_loan.c.id).where(
                    _loan.c.id.in_(unique[start:start + _LOANS_PER_QUERY]))).scalars())
            return {loan: HistoryNotCovered(f"loan {loan}", as_of, first, last)
                    if loan in known else CollectionsError(f"no loan {loan!r}")
                    for loan in unique}
        for start in range(0, len(unique), _LOANS_PER_QUERY):
            chunk = unique[start:start + _LOANS_PER_QUERY]
            ranked = select(_move.c.loan_id, _move.c.to_bucket, _move.c.dpd,
                            _move.c.effective_on, _move.c.run_id,
                            func.row_number().over(partition_by=_move.c.loan_id,
                                                   order_by=_move.c.effective_on.desc())
                            .label("rank")).where(_move.c.loan_id.in_(chunk),
                                                  _move.c.effective_on <= as_of).subquery()
            for loan, bucket, dpd, since, run_id in connection.execute(
                    select(ranked.c.loan_id, ranked.c.to_bucket, ranked.c.dpd,
                           ranked.c.effective_on, ranked.c.run_id)
                    .where(ranked.c.rank == 1)):
                found[loan] = BucketPosition(
                    loan_id=loan, as_of=as_of, bucket=bucket,
                    dpd=_aged(bucket, int(dpd), since, as_of), since=since,
                    run_id=int(run_id))
        missing = [loan for loan in unique if loan not in found]
        for start in range(0, len(missing), _LOANS_PER_QUERY):
            chunk = missing[start:start + _LOANS_PER_QUERY]
            present = set(connection.execute(select(_loan.c.id)
                                             .where(_loan.c.id.in_(chunk))).scalars())
            observed = dict(connection.execute(
                select(_move.c.loan_id, func.min(_move.c.effective_on))
                .where(_move.c.loan_id.in_(chunk)).group_by(_move.c.loan_id)).all())
            for loan in chunk:
                if loan not in present:
                    found[loan] = CollectionsError(f"no loan {loan!r}")
                    continue
                seen = observed.get(loan)
                found[loan] = HistoryNotCovered(
                    f"loan {loan} (first observed "
                    f"{'never' if seen is None else seen.isoformat()})", as_of, first, last)
    return found
