"""The root of every Loanwatch error. A leaf module: it imports nothing of ours."""

from __future__ import annotations

__all__ = ["BackendUnavailable", "ConfigurationError", "LoanwatchError"]


class LoanwatchError(Exception):
    """Base class of all errors raised on purpose by Loanwatch.

    ``suggestion`` tells the user what to do about it; the CLI prints it under the message.
    """

    def __init__(self, message: str, *, suggestion: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.suggestion = suggestion

    def __str__(self) -> str:
        return self.message


class ConfigurationError(LoanwatchError):
    """A setting is missing or malformed."""


class BackendUnavailable(LoanwatchError):
    """A server Loanwatch needs (Neo4j, the SQL database, Redis) cannot be reached."""

    def __init__(self, what: str, address: str, reason: str, *, suggestion: str | None = None):
        super().__init__(f"cannot reach {what} at {address}: {reason}", suggestion=suggestion)
        self.what = what
        self.address = address
        self.reason = reason
