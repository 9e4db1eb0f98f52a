"""What an import did: rows read, imported and rejected per file, the rejects, the speed."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

__all__ = [
    "FileReport",
    "ImportProgress",
    "ImportReport",
    "InterruptedBatch",
    "ProgressCallback",
    "Reject",
]


@dataclass(frozen=True, slots=True)
class Reject:
    """A rejected row: where it is, which field (``None``: the row as a whole), why, and
    its text (truncated)."""

    file: str
    line: int
    field: str | None
    reason: str
    text: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line} {self.field or '-'}: {self.reason}"


@dataclass(slots=True)
class FileReport:
    """The outcome of one file."""

    path: str
    entity: str
    format: str
    rows_read: int = 0
    rows_imported: int = 0
    rows_rejected: int = 0
    #: Rejected rows past the file's cap on stored rejects: counted, not stored.
    rejects_not_stored: int = 0
    #: Something about the file that is not a rejected row (it holds no rows at all).
    warning: str | None = None
    duration_s: float = 0.0

    @property
    def rows_per_s(self) -> float:
        return self.rows_read / self.duration_s if self.duration_s > 0 else 0.0


@dataclass(frozen=True, slots=True)
class InterruptedBatch:
    """An earlier import whose process died (``kill -9``, a crash) while it ran; found and
    marked ``interrupted`` by this import. Importing its files again completes it."""

    batch_id: int
    files: list[str]
    rows_imported: int
    reason: str

    def __str__(self) -> str:
        return (f"batch {self.batch_id} was interrupted ({self.reason}); "
                f"import its files again to complete it")


@dataclass(slots=True)
class ImportReport:
    """The outcome of one import, as stored in its ``ImportBatch``.

    ``rejects`` holds the first rejects only (up to a cap per file are stored as
    ``RejectedRow``); ``rows_rejected`` counts them all. ``retries`` counts graph
    transactions run again after a transient failure (a deadlock with another writer).
    ``interrupted`` lists earlier batches this import found dead and marked.
    """

    batch_id: int
    status: str
    files: list[FileReport] = field(default_factory=list)
    rejects: list[Reject] = field(default_factory=list)
    duration_s: float = 0.0
    retries: int = 0
    interrupted: list[InterruptedBatch] = field(default_factory=list)

    @property
    def rejects_not_stored(self) -> int:
        return sum(f.rejects_not_stored for f in self.files)

    @property
    def warnings(self) -> list[str]:
        """One line per file that holds no rows, naming the file."""
        return [f"{f.path}: {f.warning}" for f in self.files if f.warning]

    @property
    def rows_read(self) -> int:
        return sum(f.rows_read for f in self.files)

    @property
    def rows_imported(self) -> int:
        return sum(f.rows_imported for f in self.files)

    @property
    def rows_rejected(self) -> int:
        return sum(f.rows_rejected for f in self.files)

    @property
    def rows_per_s(self) -> float:
        return self.rows_read / self.duration_s if self.duration_s > 0 else 0.0

    @property
    def counts(self) -> dict[str, int]:
        """Rows imported per entity type, in import order."""
        counts: dict[str, int] = {}
        for report in self.files:
            counts[report.entity] = counts.get(report.entity, 0) + report.rows_imported
        return counts

    @property
    def complete(self) -> bool:
        """Every row read was imported."""
        return self.rows_rejected == 0


@dataclass(frozen=True, slots=True)
class ImportProgress:
    """Where an import stands, sent after every batch. Counts cover the whole import."""

    file: Path
    entity: str
    rows_read: int
    rows_imported: int
    rows_rejected: int
    bytes_done: int
    bytes_total: int


ProgressCallback = Callable[[ImportProgress], None]
