"""Errors of the relational portfolio layer. A leaf: it imports only the error root."""

from __future__ import annotations

from loanwatch.errors import LoanwatchError

__all__ = ["MigrationError", "PortfolioError"]


class PortfolioError(LoanwatchError):
    """Base class of errors raised by the relational records layer."""


class MigrationError(PortfolioError):
    """The database schema could not be brought up to date."""
