"""Errors of the risk core. A leaf module: it imports only the error root."""

from __future__ import annotations

from loanwatch.errors import LoanwatchError

__all__ = ["ContagionInputError", "RiskError", "ShockError"]


class RiskError(LoanwatchError):
    """Root of every error the risk core raises on purpose."""


class ContagionInputError(RiskError):
    """An exposure network cannot be stress-tested as given (a file, a line, a field)."""


class ShockError(RiskError):
    """A shock names an unknown node or a fraction outside [0, 1]."""
