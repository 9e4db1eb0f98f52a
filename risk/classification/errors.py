"""Errors of the classification service. A leaf: it imports only the error root."""

from __future__ import annotations

from loanwatch.errors import LoanwatchError

__all__ = ["AsOfBeforeData", "ClassificationConfigError", "ClassificationError",
           "OverrideError", "OverrideNotFound"]


class ClassificationError(LoanwatchError):
    """Base class of errors raised by the classification and provisioning service."""


class AsOfBeforeData(ClassificationError):
    """The as-of date lies before the first loan was disbursed: there is nothing to classify."""


class ClassificationConfigError(ClassificationError):
    """A classification or provisioning setting is malformed (the message names it)."""


class OverrideError(ClassificationError):
    """A manual override is refused (the message says why); nothing was stored."""


class OverrideNotFound(OverrideError):
    """No stored override has the id given."""
