"""Import batches and the rows they rejected: the lasting record of every bulk import."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Final

from sqlalchemy import JSON, DateTime, Index, Integer, String, Text
from sqlmodel import Field, SQLModel

__all__ = [
    "MAX_RAW_TEXT",
    "ImportBatch",
    "ImportStatus",
    "RejectedRow",
]

#: Characters of a rejected row's source text that are kept.
MAX_RAW_TEXT: Final = 1_000


class ImportStatus(StrEnum):
    RUNNING = "running"
    #: Every file was read to its end; rejected rows may exist (see ``rows_rejected``).
    SUCCEEDED = "succeeded"
    #: The import stopped early (a backend failed or the run was interrupted).
    FAILED = "failed"


class ImportBatch(SQLModel, table=True):
    """One run of ``loanwatch import``: what it read, what it kept, what it rejected."""

    __tablename__ = "import_batch"

    id: int | None = Field(default=None, primary_key=True, sa_type=Integer)
    started_at: datetime = Field(sa_type=DateTime(timezone=True))
    finished_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    status: str = Field(default=ImportStatus.RUNNING.value, sa_type=String(16))
    #: The files in the order they were read.
    files: list[str] = Field(default_factory=list, sa_type=JSON)
    #: Rows imported per entity type, e.g. ``{"persons": 120, "loans": 80}``.
    counts: dict[str, int] = Field(default_factory=dict, sa_type=JSON)
    rows_read: int = Field(default=0, sa_type=Integer)
    rows_imported: int = Field(default=0, sa_type=Integer)
    rows_rejected: int = Field(default=0, sa_type=Integer)
    #: Why a failed batch stopped.
    error: str | None = Field(default=None, sa_type=Text)


class RejectedRow(SQLModel, table=True):
    """A row an import refused: where it was, which field, why, and its (truncated) text."""

    __tablename__ = "rejected_row"
    __table_args__ = (Index("ix_rejected_row_batch_id", "batch_id", "id"),)

    id: int | None = Field(default=None, primary_key=True, sa_type=Integer)
    batch_id: int = Field(foreign_key="import_batch.id", ondelete="CASCADE", sa_type=Integer)
    file: str = Field(sa_type=Text)
    line: int = Field(sa_type=Integer)
    field: str | None = Field(default=None, sa_type=String(128))
    reason: str = Field(sa_type=Text)
    raw: str = Field(default="", sa_type=Text)
