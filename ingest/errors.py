"""Errors of the bulk importer. A leaf: it imports only the error root."""

from __future__ import annotations

from loanwatch.errors import LoanwatchError

__all__ = [
    "ImportFailed",
    "IngestError",
    "InvalidValue",
    "NotText",
    "RowRejected",
    "UnknownFileType",
]


class IngestError(LoanwatchError):
    """Base class of errors raised by the importer."""


class UnknownFileType(IngestError):
    """A file's name says neither which entity type it holds nor that it is CSV or JSON Lines."""


class NotText(IngestError):
    """A file is not UTF-8 text (NUL bytes or invalid UTF-8 at its start): a binary file,
    or text in another encoding. Refused before anything is read from it."""


class ImportFailed(IngestError):
    """The import stopped before its end (a write failed); the batch is marked failed."""


class InvalidValue(IngestError):
    """One value cannot be accepted; the message says why. Raised by the converters."""


class RowRejected(IngestError):
    """One row cannot be imported: ``field`` (``None`` for the row as a whole) and why."""

    def __init__(self, field: str | None, reason: str) -> None:
        super().__init__(reason)
        self.field = field
        self.reason = reason
