"""Errors of a lender's tabular file: each names the file and what is wrong with it (the
line, the column, the values seen) and, where there is one, what to do about it."""

from __future__ import annotations

from risk.models.errors import ModelError

__all__ = ["MissingColumns", "NotTrainable", "TabularFileError"]


class TabularFileError(ModelError):
    """The file cannot be read as a table: missing, empty, binary or not CSV."""


class NotTrainable(ModelError):
    """The table reads, but no model can be trained on it as asked (no target column, a
    target of one class, a constant column, no feature left, ...)."""


class MissingColumns(ModelError):
    """A file to score lacks columns the model reads."""
