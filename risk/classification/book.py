"""The loan book as it stood on a date, read from SQL into column arrays.

One query per table, whatever the portfolio's size; nothing dated after the as-of date is
read: installments due after it, repayments paid after it, modifications agreed after it
and bureau snapshots taken after it stay in the database. Loans are those disbursed on or
before the date. Dates become ``int64`` day numbers (days since 1970-01-01).

Rows are sorted by loan (the loans' index in :attr:`LoanBook.loan_ids`, which is sorted),
then by installment number, payment date or effective date, so that every per-loan pass
is a grouped numpy operation.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Final

import numpy as np
from sqlalchemy import (
    Connection,
    Date,
    Engine,
    Integer,
    Table,
    cast,
    func,
    literal,
    select,
    type_coerce,
)

from portfolio.bureau import BureauSnapshot
from portfolio.loans import Loan
from portfolio.modifications import Modification, ModificationKind
from portfolio.repayments import Repayment
from portfolio.schedule import Installment
from risk.classification.errors import AsOfBeforeData, ClassificationError

__all__ = ["BureauFigures", "LoanBook", "Modifications", "day_number", "first_disbursement",
           "load_book", "to_date"]

_EPOCH: Final = date(1970, 1, 1)
_IDS_PER_QUERY: Final = 1_000
#: The Julian day number of 1970-01-01 at midnight (SQLite's julianday()).
_JULIAN_EPOCH: Final = 2440587.5

_loan: Final[Table] = Loan.__table__  # type: ignore[attr-defined]
_installment: Final[Table] = Installment.__table__  # type: ignore[attr-defined]
_repayment: Final[Table] = Repayment.__table__  # type: ignore[attr-defined]
_modification: Final[Table] = Modification.__table__  # type: ignore[attr-defined]
_bureau: Final[Table] = BureauSnapshot.__table__  # type: ignore[attr-defined]


def day_number(value: date) -> int:
    """Days since 1970-01-01."""
    return (value - _EPOCH).days


def to_date(day: int) -> date:
    return date.fromordinal(_EPOCH.toordinal() + int(day))


def _days(values: Sequence[date]) -> np.ndarray:
    if not values:
        return np.zeros(0, dtype=np.int64)
    return np.array(values, dtype="datetime64[D]").astype(np.int64)


@dataclass(frozen=True, slots=True)
class Modifications:
    """Modifications agreed by the as-of date, sorted by loan then effective date.

    ``pause_end`` is the last paused day (``-1`` where the row is no pause);
    ``restructured`` marks concessions to a debtor in financial difficulty (every
    ``restructuring``, and any other kind flagged ``financial_difficulty``).
    """

    ids: np.ndarray
    loan: np.ndarray
    kind: np.ndarray
    effective: np.ndarray
    pause_end: np.ndarray
    restructured: np.ndarray
    reason: np.ndarray


@dataclass(frozen=True, slots=True)
class BureauFigures:
    """Each borrower's latest bureau snapshot on or before the as-of date (per loan index of
    the borrower: ``-1`` amounts where unknown)."""

    as_of: np.ndarray
    total_debt: np.ndarray
    overdue_90: np.ndarray
    currency: np.ndarray


@dataclass(frozen=True, slots=True)
class LoanBook:
    """The loans disbursed by ``as_of`` and their history up to it, as arrays."""

    as_of: date
    loan_ids: np.ndarray
    borrower_ids: np.ndarray
    product: np.ndarray
    currency: np.ndarray
    principal: np.ndarray
    annual_rate: np.ndarray
    disbursed: np.ndarray
    maturity: np.ndarray
    repayment_method: np.ndarray
    #: The annual PD estimated at origination, NaN where none is stored.
    origination_pd: np.ndarray
    inst_loan: np.ndarray
    inst_due: np.ndarray
    inst_principal: np.ndarray
    inst_interest: np.ndarray
    rep_loan: np.ndarray
    rep_day: np.ndarray
    rep_amount: np.ndarray
    modifications: Modifications
    bureau: BureauFigures

    @property
    def as_of_day(self) -> int:
        return day_number(self.as_of)

    def __len__(self) -> int:
        return len(self.loan_ids)


def _chunks(ids: Sequence[str]) -> list[Sequence[str]]:
    return [ids[i:i + _IDS_PER_QUERY] for i in range(0, len(ids), _IDS_PER_QUERY)]


def _rows(connection: Connection, statement: Any, ids: Sequence[str] | None,
          column: Any) -> list[Any]:
    """Rows of ``statement``, restricted to ``column IN ids`` when ``ids`` is given."""
    if ids is None:
        return list(connection.execute(statement).fetchall())
    rows: list[Any] = []
    for chunk in _chunks(ids):
        rows.extend(connection.execute(statement.where(column.in_(chunk))).fetchall())
    return rows


def _plain_rows(connection: Connection, statement: Any, ids: Sequence[str] | None,
                column: Any) -> list[tuple[Any, ...]]:
    """:func:`_rows` as the driver's own tuples, for statements whose columns are only
    numbers and text (dates come as day numbers computed in SQL): SQLAlchemy's per-row
    processing cost as much as the fetch itself on the million-loan book. Numeric columns
    arrive as the driver gives them (``float`` from SQLite, ``Decimal`` from PostgreSQL):
    read them into ``float64`` arrays."""
    statements = [statement] if ids is None else [
        statement.where(column.in_(chunk)) for chunk in _chunks(ids)]
    rows: list[tuple[Any, ...]] = []
    for each in statements:
        result = connection.execute(each)
        try:
            rows.extend(result.cursor.fetchall())
        finally:
            result.close()
    return rows


def _day_of(column: Any, dialect: str) -> Any:
    """SQL for the day number of a date column, so that dates arrive as integers (no
    per-row date objects)."""
    if dialect == "postgresql":
        return type_coerce(column - literal(_EPOCH, Date), Integer)
    return cast(func.julianday(column) - _JULIAN_EPOCH, Integer)


def first_disbursement(engine: Engine) -> date | None:
    """The day the first loan was disbursed; ``None`` when no loan is stored. A book as of
    an earlier day is refused (:class:`AsOfBeforeData`): a scheduled pass asks first."""
    with engine.connect() as connection:
        return connection.execute(select(func.min(_loan.c.disbursed_on))).scalar()


def _check_as_of(connection: Connection, as_of: date) -> None:
    # One loan disbursed by the date is enough (the scan stops at the first); only a date
    # before every loan pays for the minimum over the whole table, to name it.
    if connection.execute(select(_loan.c.id).where(_loan.c.disbursed_on <= as_of)
                          .limit(1)).first() is not None:
        return
    first = connection.execute(select(func.min(_loan.c.disbursed_on))).scalar()
    if first is None:
        raise ClassificationError("no loans are stored: there is nothing to classify",
                                  suggestion="import a portfolio first (loanwatch import)")
    if as_of < first:
        raise AsOfBeforeData(
            f"the as-of date {as_of.isoformat()} is before any data: the first loan was "
            f"disbursed on {first.isoformat()}",
            suggestion=f"give --as-of {first.isoformat()} or later")


def load_book(engine: Engine, as_of: date, *, loans: Collection[str] | None = None,
              bureau: bool = True) -> LoanBook:
    """The book as of ``as_of``; with ``loans``, those loans and every other loan of their
    borrowers (the debtor-level rules need them). ``bureau=False`` leaves the bureau
    figures unknown (``-1``) without reading them, for passes that only need days past due
    (the daily collections run: a quarter of the read at 100,000 borrowers).

    Raises:
        AsOfBeforeData: ``as_of`` is before the first disbursement.
        ClassificationError: no loans are stored, or a loan named in ``loans`` is unknown.
    """
    with engine.connect() as connection:
        _check_as_of(connection, as_of)
        wanted: list[str] | None = None
        if loans is not None:
            named = sorted(set(loans))
            found = _rows(connection, select(_loan.c.id, _loan.c.borrower_id), named,
                          _loan.c.id)
            missing = sorted(set(named) - {row[0] for row in found})
            if missing:
                raise ClassificationError(f"unknown loan id(s): {', '.join(missing[:10])}")
            borrowers = sorted({row[1] for row in found})
            wanted = sorted({row[0] for row in _rows(
                connection, select(_loan.c.id), borrowers, _loan.c.borrower_id)})
        dialect = connection.dialect.name
        loan_rows = sorted(_plain_rows(connection, select(
            _loan.c.id, _loan.c.borrower_id, _loan.c.product, _loan.c.currency,
            _loan.c.principal_minor, _loan.c.annual_rate,
            _day_of(_loan.c.disbursed_on, dialect), _day_of(_loan.c.maturity_on, dialect),
            _loan.c.repayment_method, _loan.c.origination_pd,
        ).where(_loan.c.disbursed_on <= as_of), wanted, _loan.c.id))
        ids = np.array([row[0] for row in loan_rows], dtype=object)
        disbursed_ok = _loan.c.disbursed_on <= as_of

        position = {loan_id: i for i, loan_id in enumerate(ids.tolist())}

        def loan_index(values: list[str]) -> np.ndarray:
            return np.fromiter((position[v] for v in values), dtype=np.int64, count=len(values))

        inst_rows = _plain_rows(connection, select(
            _installment.c.loan_id, _installment.c.seq, _day_of(_installment.c.due_on, dialect),
            _installment.c.principal_due_minor, _installment.c.interest_due_minor,
        ).join(_loan, _loan.c.id == _installment.c.loan_id)
            .where(disbursed_ok, _installment.c.due_on <= as_of), wanted,
            _installment.c.loan_id)
        rep_rows = _plain_rows(connection, select(
            _repayment.c.loan_id, _day_of(_repayment.c.paid_on, dialect),
            _repayment.c.amount_minor,
        ).join(_loan, _loan.c.id == _repayment.c.loan_id)
            .where(disbursed_ok, _repayment.c.paid_on <= as_of), wanted, _repayment.c.loan_id)
        mod_rows = _rows(connection, select(
            _modification.c.loan_id, _modification.c.effective_on, _modification.c.id,
            _modification.c.kind, _modification.c.pause_until,
            _modification.c.financial_difficulty, _modification.c.reason,
        ).join(_loan, _loan.c.id == _modification.c.loan_id)
            .where(disbursed_ok, _modification.c.effective_on <= as_of), wanted,
            _modification.c.loan_id)
        mod_rows.sort(key=lambda r: (r[0], r[1], r[2]))
        borrower_ids = np.array([row[1] for row in loan_rows], dtype=object)
        figures = _bureau_figures(connection, as_of, borrower_ids,
                                  whole_book=wanted is None) if bureau \
            else _unknown_bureau(len(borrower_ids))

    def column(rows: list[Any], i: int, dtype: Any) -> np.ndarray:
        return np.array([row[i] for row in rows], dtype=dtype)

    inst_columns = list(zip(*inst_rows, strict=True)) if inst_rows else [()] * 5
    inst_loan = loan_index(list(inst_columns[0]))
    inst_seq = np.array(inst_columns[1], dtype=np.int64)
    inst_order = np.lexsort((inst_seq, inst_loan))
    rep_columns = list(zip(*rep_rows, strict=True)) if rep_rows else [()] * 3
    rep_loan = loan_index(list(rep_columns[0]))
    rep_day = np.array(rep_columns[1], dtype=np.int64)
    rep_order = np.lexsort((rep_day, rep_loan))

    pause = ModificationKind.PAYMENT_PAUSE.value
    restructuring = ModificationKind.RESTRUCTURING.value
    modifications = Modifications(
        ids=column(mod_rows, 2, object),
        loan=loan_index([row[0] for row in mod_rows]),
        kind=column(mod_rows, 3, object),
        effective=_days([row[1] for row in mod_rows]),
        pause_end=np.array([day_number(row[4]) if row[3] == pause and row[4] else -1
                            for row in mod_rows], dtype=np.int64),
        restructured=np.array([row[3] == restructuring or bool(row[5]) for row in mod_rows],
                              dtype=bool),
        reason=column(mod_rows, 6, object),
    )
    return LoanBook(
        as_of=as_of,
        loan_ids=ids,
        borrower_ids=borrower_ids,
        product=column(loan_rows, 2, object),
        currency=column(loan_rows, 3, object),
        principal=column(loan_rows, 4, np.int64),
        annual_rate=column(loan_rows, 5, np.float64),
        disbursed=column(loan_rows, 6, np.int64),
        maturity=column(loan_rows, 7, np.int64),
        repayment_method=column(loan_rows, 8, object),
        origination_pd=np.array([np.nan if row[9] is None else row[9] for row in loan_rows],
                                dtype=np.float64),
        inst_loan=inst_loan[inst_order],
        inst_due=np.array(inst_columns[2], dtype=np.int64)[inst_order],
        inst_principal=np.array(inst_columns[3], dtype=np.int64)[inst_order],
        inst_interest=np.array(inst_columns[4], dtype=np.int64)[inst_order],
        rep_loan=rep_loan[rep_order],
        rep_day=rep_day[rep_order],
        rep_amount=np.array(rep_columns[2], dtype=np.int64)[rep_order],
        modifications=modifications,
        bureau=figures,
    )


def _unknown_bureau(n: int) -> BureauFigures:
    """``n`` loans whose borrowers have no bureau snapshot (every figure ``-1``)."""
    return BureauFigures(as_of=np.full(n, -1, dtype=np.int64),
                         total_debt=np.full(n, -1, dtype=np.int64),
                         overdue_90=np.full(n, -1, dtype=np.int64),
                         currency=np.full(n, None, dtype=object))


def _latest_snapshots(as_of: date, parties: Sequence[str] | None) -> Any:
    """The latest snapshot of each party (of ``parties``; ``None``: every party) taken on
    or before ``as_of``. The parties are named inside the grouping too: a batch's parties
    read their own snapshots through the (party, date) index, not the whole table."""
    latest = select(_bureau.c.party_id, func.max(_bureau.c.as_of).label("as_of")).where(
        _bureau.c.as_of <= as_of)
    if parties is not None:
        latest = latest.where(_bureau.c.party_id.in_(parties))
    grouped = latest.group_by(_bureau.c.party_id).subquery()
    return select(_bureau.c.party_id, _bureau.c.as_of, _bureau.c.total_debt_minor,
                  _bureau.c.overdue_90_minor, _bureau.c.currency, _bureau.c.id).join(
        grouped, (grouped.c.party_id == _bureau.c.party_id)
        & (grouped.c.as_of == _bureau.c.as_of))


def _bureau_figures(connection: Connection, as_of: date, borrower_ids: np.ndarray, *,
                    whole_book: bool = True) -> BureauFigures:
    """The latest snapshot per borrower taken on or before ``as_of``, spread over loans.
    ``whole_book``: the borrowers are every borrower (one pass over the table); otherwise
    only theirs are read, a chunk of parties at a time."""
    n = len(borrower_ids)
    figures = _unknown_bureau(n)
    if n == 0:
        return figures
    parties = sorted(set(borrower_ids.tolist()))
    if whole_book:
        rows = list(connection.execute(_latest_snapshots(as_of, None)).fetchall())
    else:
        rows = []
        for chunk in _chunks(parties):
            rows.extend(connection.execute(_latest_snapshots(as_of, chunk)).fetchall())
    # Two snapshots of one party on one day: the greatest id wins, deterministically.
    by_party = {row[0]: row for row in sorted(rows, key=lambda r: (r[0], r[5]))}
    if not by_party:
        return figures
    # Spread over the loans in numpy: each loan's borrower looked up among the parties.
    known = sorted(by_party)
    found = [by_party[party] for party in known]
    names = np.asarray(known).astype(str)
    borrowers = np.asarray(borrower_ids).astype(str)
    at = np.minimum(np.searchsorted(names, borrowers), len(names) - 1)
    hit = names[at] == borrowers
    rows_at = at[hit]

    def column(i: int) -> np.ndarray:
        return np.array([-1 if row[i] is None else row[i] for row in found], dtype=np.int64)

    figures.as_of[hit] = _days([row[1] for row in found])[rows_at]
    figures.total_debt[hit] = column(2)[rows_at]
    figures.overdue_90[hit] = column(3)[rows_at]
    figures.currency[hit] = np.array([row[4] for row in found], dtype=object)[rows_at]
    return figures
