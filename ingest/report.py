"""What an import did: rows read, imported and rejected per file, the rejects, the speed."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["FileReport", "ImportProgress", "ImportReport", "ProgressCallback", "Reject"]


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
    duration_s: float = 0.0

    @property
    def rows_per_s(self) -> float:
        return self.rows_read / self.duration_s if self.duration_s > 0 else 0.0


@dataclass(slots=True)
class ImportReport:
    """The outcome of one import, as stored in its ``ImportBatch``.

    ``rejects`` holds the first rejects only (all of them are stored as ``RejectedRow``);
    ``rows_rejected`` counts them all.
    """

    batch_id: int
    status: str
    files: list[FileReport] = field(default_factory=list)
    rejects: list[Reject] = field(default_factory=list)
    duration_s: float = 0.0

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
