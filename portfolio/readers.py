"""Batched reads of the records the API shows: schedules, repayments, bureau snapshots,
import batches and alerts, by the ids of many owners or records at once.

Each reader answers for a whole batch of ids in one query per chunk of
:data:`IDS_PER_QUERY` ids, so a page of 100 borrowers costs the same number of queries as
one (the API's DataLoaders call them once per batch). Results are plain SQLModel rows,
detached from their session, grouped by the id asked for and ordered as documented.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Final, TypeVar

from sqlalchemy import Engine, tuple_
from sqlmodel import Session, col, select

from portfolio.alerts import Alert
from portfolio.bureau import BureauSnapshot
from portfolio.contact_notes import ContactNote
from portfolio.imports import ImportBatch
from portfolio.repayments import Repayment
from portfolio.schedule import Installment

__all__ = [
    "IDS_PER_QUERY",
    "alerts_by_id",
    "bureau_by_id",
    "bureau_by_party",
    "contact_notes_by_id",
    "import_batches",
    "import_batches_by_id",
    "installments_by_key",
    "installments_by_loan",
    "repayments_by_id",
    "repayments_by_loan",
]

#: Ids per query (within every database's limit on bound parameters).
IDS_PER_QUERY: Final = 500

K = TypeVar("K")


def _chunks(ids: Sequence[K]) -> Iterator[list[K]]:
    unique = list(dict.fromkeys(ids))
    for start in range(0, len(unique), IDS_PER_QUERY):
        yield unique[start:start + IDS_PER_QUERY]


def installments_by_loan(engine: Engine, loan_ids: Sequence[str]
                         ) -> dict[str, list[Installment]]:
    """The schedule of each loan of ``loan_ids`` that has one, in installment order."""
    found: dict[str, list[Installment]] = {}
    with Session(engine) as session:
        for chunk in _chunks(loan_ids):
            rows = session.exec(select(Installment).where(col(Installment.loan_id).in_(chunk))
                                .order_by(col(Installment.loan_id), col(Installment.seq)))
            for row in rows:
                found.setdefault(row.loan_id, []).append(row)
    return found


def repayments_by_loan(engine: Engine, loan_ids: Sequence[str]) -> dict[str, list[Repayment]]:
    """The repayments of each loan of ``loan_ids`` that has some, oldest first (then by
    id)."""
    found: dict[str, list[Repayment]] = {}
    with Session(engine) as session:
        for chunk in _chunks(loan_ids):
            rows = session.exec(select(Repayment).where(col(Repayment.loan_id).in_(chunk))
                                .order_by(col(Repayment.loan_id), col(Repayment.paid_on),
                                          col(Repayment.id)))
            for row in rows:
                found.setdefault(row.loan_id, []).append(row)
    return found


def bureau_by_party(engine: Engine, party_ids: Sequence[str]
                    ) -> dict[str, list[BureauSnapshot]]:
    """The bureau snapshots of each party of ``party_ids`` that has some, newest first
    (then by id)."""
    found: dict[str, list[BureauSnapshot]] = {}
    with Session(engine) as session:
        for chunk in _chunks(party_ids):
            rows = session.exec(
                select(BureauSnapshot).where(col(BureauSnapshot.party_id).in_(chunk))
                .order_by(col(BureauSnapshot.party_id), col(BureauSnapshot.as_of).desc(),
                          col(BureauSnapshot.id)))
            for row in rows:
                found.setdefault(row.party_id, []).append(row)
    return found


def installments_by_key(engine: Engine, keys: Sequence[tuple[str, int]]
                        ) -> dict[tuple[str, int], Installment]:
    """The installments of ``keys`` (``(loan id, sequence number)``) that exist."""
    found: dict[tuple[str, int], Installment] = {}
    with Session(engine) as session:
        for chunk in _chunks(keys):
            rows = session.exec(select(Installment).where(
                tuple_(col(Installment.loan_id), col(Installment.seq)).in_(chunk)))
            found.update(((row.loan_id, row.seq), row) for row in rows)
    return found


def repayments_by_id(engine: Engine, ids: Sequence[str]) -> dict[str, Repayment]:
    """The repayments of ``ids`` that exist, by id."""
    found: dict[str, Repayment] = {}
    with Session(engine) as session:
        for chunk in _chunks(ids):
            found.update((row.id, row) for row in session.exec(
                select(Repayment).where(col(Repayment.id).in_(chunk))))
    return found


def bureau_by_id(engine: Engine, ids: Sequence[str]) -> dict[str, BureauSnapshot]:
    """The bureau snapshots of ``ids`` that exist, by id."""
    found: dict[str, BureauSnapshot] = {}
    with Session(engine) as session:
        for chunk in _chunks(ids):
            found.update((row.id, row) for row in session.exec(
                select(BureauSnapshot).where(col(BureauSnapshot.id).in_(chunk))))
    return found


def import_batches_by_id(engine: Engine, ids: Sequence[int]) -> dict[int, ImportBatch]:
    """The import batches of ``ids`` that exist, by id."""
    found: dict[int, ImportBatch] = {}
    with Session(engine) as session:
        for chunk in _chunks(ids):
            for row in session.exec(select(ImportBatch).where(col(ImportBatch.id).in_(chunk))):
                found[int(row.id or 0)] = row
    return found


def import_batches(engine: Engine, *, limit: int, offset: int = 0) -> list[ImportBatch]:
    """Import batches, newest first: ``limit`` of them from ``offset``."""
    with Session(engine) as session:
        return list(session.exec(select(ImportBatch).order_by(col(ImportBatch.id).desc())
                                 .offset(offset).limit(limit)))


def contact_notes_by_id(engine: Engine, ids: Sequence[int]) -> dict[int, ContactNote]:
    """The contact notes of ``ids`` that exist, by id."""
    found: dict[int, ContactNote] = {}
    with Session(engine) as session:
        for chunk in _chunks(ids):
            for row in session.exec(select(ContactNote).where(col(ContactNote.id).in_(chunk))):
                found[int(row.id or 0)] = row
    return found


def alerts_by_id(engine: Engine, ids: Sequence[int]) -> dict[int, Alert]:
    """The alerts of ``ids`` that exist, by id."""
    found: dict[int, Alert] = {}
    with Session(engine) as session:
        for chunk in _chunks(ids):
            for row in session.exec(select(Alert).where(col(Alert.id).in_(chunk))):
                found[int(row.id or 0)] = row
    return found
