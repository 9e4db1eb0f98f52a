"""Collections records: the daily runs, every delinquency-bucket move, and collection cases
with the trail of their transitions.

* :class:`CollectionRun` is one daily run for one date (unique: a date is run once).
* :class:`BucketMove` is one change of a loan's delinquency bucket (or of the ageing of its
  days past due) effective on a date, keyed by ``(loan_id, effective_on)``: the history
  that answers "what was this loan's bucket and days past due on date X". The first row of
  a loan (``from_bucket`` ``None``) is its first observation. Append-only in the database.
* :class:`CollectionCase` is a loan's delinquency episode, from the day it entered a
  delinquent bucket until it cured, was written off or closed; its id is the natural key
  ``LOAN@OPENED_ON``, and a loan has at most one case that is not closed (a partial unique
  index).
* :class:`CaseEvent` is one transition of a case (who, why, when, from what to what),
  numbered per case. Append-only in the database.

The rules that fill them are in :mod:`risk.collections`.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Final

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlmodel import Field, SQLModel

from portfolio.alerts import ACTOR_LENGTH
from portfolio.loans import CURRENCY_LENGTH, EXTERNAL_ID_LENGTH
from portfolio.types import UtcDateTime

__all__ = [
    "BUCKET_NAME_LENGTH",
    "CASE_ID_LENGTH",
    "BucketMove",
    "CaseEvent",
    "CollectionCase",
    "CollectionRun",
    "case_id_of",
]

BUCKET_NAME_LENGTH: Final = 32
#: A loan id, ``@`` and an ISO date.
CASE_ID_LENGTH: Final = EXTERNAL_ID_LENGTH + 11
_SEGMENT_LENGTH: Final = 128


def case_id_of(loan_id: str, opened_on: date) -> str:
    """The natural key of the case of ``loan_id`` opened on ``opened_on``."""
    return f"{loan_id}@{opened_on.isoformat()}"


class CollectionRun(SQLModel, table=True):
    """The daily collections run for ``as_of``: the settings it used (``config``, JSON) and
    what it did (``summary``, JSON counts)."""

    __tablename__ = "collection_run"
    __table_args__ = (UniqueConstraint("as_of", name="uq_collection_run_as_of"),)

    id: int | None = Field(default=None, primary_key=True, sa_type=Integer)
    as_of: date = Field(sa_type=Date)
    started_at: datetime = Field(sa_type=UtcDateTime)
    finished_at: datetime = Field(sa_type=UtcDateTime)
    actor: str = Field(sa_type=String(ACTOR_LENGTH))
    config: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    summary: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))


class BucketMove(SQLModel, table=True):
    """From ``effective_on``, ``loan_id`` is in ``to_bucket`` with ``dpd`` days past due
    (ageing one day per day while delinquent, until its next row). ``kind``: ``opening``
    (first observation), ``move`` (another bucket) or ``restate`` (same bucket, days past
    due not what ageing predicts: a partial payment, a pause)."""

    __tablename__ = "bucket_move"
    __table_args__ = (Index("ix_bucket_move_effective_on", "effective_on"),)

    loan_id: str = Field(primary_key=True, sa_type=String(EXTERNAL_ID_LENGTH))
    effective_on: date = Field(primary_key=True, sa_type=Date)
    from_bucket: str | None = Field(default=None, sa_type=String(BUCKET_NAME_LENGTH))
    to_bucket: str = Field(sa_type=String(BUCKET_NAME_LENGTH))
    dpd: int = Field(sa_type=Integer)
    kind: str = Field(sa_type=String(16))
    run_id: int = Field(sa_column=Column(Integer, ForeignKey("collection_run.id"),
                                         nullable=False))


class CollectionCase(SQLModel, table=True):
    """A loan's delinquency episode; ``state`` per :mod:`risk.collections.cases`.

    ``bucket``/``dpd``/``bucket_since`` as of ``as_of`` (the last run that changed it);
    the segment (``risk_tier`` × ``balance_band`` × ``behaviour``) is what a strategy is
    chosen by, computed when the case opened and on every bucket move.
    """

    __tablename__ = "collection_case"
    __table_args__ = (
        UniqueConstraint("loan_id", "opened_on", name="uq_collection_case_loan_opened"),
        Index("ix_collection_case_state", "state"),
        Index("uq_collection_case_live_loan", "loan_id", unique=True,
              sqlite_where=text("closed_on IS NULL"),
              postgresql_where=text("closed_on IS NULL")),
    )

    id: str = Field(primary_key=True, sa_type=String(CASE_ID_LENGTH))
    loan_id: str = Field(sa_type=String(EXTERNAL_ID_LENGTH))
    borrower_id: str = Field(sa_type=String(EXTERNAL_ID_LENGTH))
    opened_on: date = Field(sa_type=Date)
    closed_on: date | None = Field(default=None, sa_type=Date)
    state: str = Field(sa_type=String(16))
    bucket: str = Field(sa_type=String(BUCKET_NAME_LENGTH))
    bucket_since: date = Field(sa_type=Date)
    dpd: int = Field(sa_type=Integer)
    as_of: date = Field(sa_type=Date)
    currency: str = Field(sa_type=String(CURRENCY_LENGTH))
    outstanding_minor: int = Field(sa_type=BigInteger)
    risk_tier: str = Field(sa_type=String(16))
    balance_band: str = Field(sa_type=String(BUCKET_NAME_LENGTH))
    behaviour: str = Field(sa_type=String(16))
    segment: str = Field(sa_type=String(_SEGMENT_LENGTH))
    updated_at: datetime = Field(sa_type=UtcDateTime)


class CaseEvent(SQLModel, table=True):
    """Transition ``seq`` (1, 2, ...) of case ``case_id``: ``event`` took it from
    ``from_state`` to ``to_state`` (and from ``from_bucket`` to ``to_bucket``) effective on
    ``effective_on``; ``actor`` is ``system`` or a user's login, ``reason`` why."""

    __tablename__ = "collection_case_event"

    case_id: str = Field(sa_column=Column(String(CASE_ID_LENGTH),
                                          ForeignKey("collection_case.id"), primary_key=True))
    seq: int = Field(primary_key=True, sa_type=Integer,
                     sa_column_kwargs={"autoincrement": False})
    event: str = Field(sa_type=String(16))
    from_state: str | None = Field(default=None, sa_type=String(16))
    to_state: str = Field(sa_type=String(16))
    from_bucket: str | None = Field(default=None, sa_type=String(BUCKET_NAME_LENGTH))
    to_bucket: str | None = Field(default=None, sa_type=String(BUCKET_NAME_LENGTH))
    dpd: int | None = Field(default=None, sa_type=Integer)
    effective_on: date = Field(sa_type=Date)
    actor: str = Field(sa_type=String(ACTOR_LENGTH))
    reason: str = Field(sa_type=Text)
    run_id: int | None = Field(default=None, sa_column=Column(
        Integer, ForeignKey("collection_run.id"), nullable=True))
    recorded_at: datetime = Field(sa_type=UtcDateTime)
