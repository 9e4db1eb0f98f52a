"""Import batches and the rows they rejected: the lasting record of every bulk import."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Final

from sqlalchemy import JSON, Index, Integer, String, Text
from sqlmodel import Field, SQLModel

from portfolio.types import UtcDateTime

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
    #: The import stopped early and recorded why (a backend failed, the user pressed
    #: Ctrl-C): the batches before the failure are imported.
    FAILED = "failed"
    #: The process died without a word (``kill -9``, a power cut): found ``running`` by a
    #: later import whose process is gone, or whose heartbeat is stale. Importing its files
    #: again completes it.
    INTERRUPTED = "interrupted"


class ImportBatch(SQLModel, table=True):
    """One run of ``loanwatch import``: what it read, what it kept, what it rejected."""

    __tablename__ = "import_batch"

    id: int | None = Field(default=None, primary_key=True, sa_type=Integer)
    started_at: datetime = Field(sa_type=UtcDateTime)
    finished_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
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
    #: The process that runs (or ran) the import, and on which host: a later import finds
    #: a ``running`` batch whose process is gone and marks it interrupted.
    pid: int | None = Field(default=None, sa_type=Integer)
    hostname: str | None = Field(default=None, sa_type=String(255))
    #: Written after every batch of rows while the import runs.
    heartbeat_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    #: Transactions the graph store ran again after a transient failure (a deadlock).
    retries: int = Field(default=0, sa_type=Integer, sa_column_kwargs={"server_default": "0"})
    #: Rejected rows counted in ``rows_rejected`` but not stored (past the per-file cap).
    rejects_not_stored: int = Field(default=0, sa_type=Integer,
                                    sa_column_kwargs={"server_default": "0"})
    #: Warnings about the input that are not rejected rows (an empty file).
    warnings: list[str] | None = Field(default=None, sa_type=JSON)


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
