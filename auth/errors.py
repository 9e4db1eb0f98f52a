"""Errors of authentication and authorization. A leaf: it imports only the error root."""

from __future__ import annotations

from loanwatch.errors import LoanwatchError

__all__ = ["AuditBacklogFull", "AuditClosed", "AuditError", "AuditHeadsUnreadable",
           "AuthError", "InsufficientRights", "InvalidToken", "RegistrationError",
           "UnknownClient"]


class AuthError(LoanwatchError):
    """Base class of authentication and authorization errors."""


class InvalidToken(AuthError):
    """A bearer token is missing, malformed, expired, revoked, signed by an unknown key or
    meant for another audience.

    ``error`` is the RFC 6750 error code the ``WWW-Authenticate`` header carries
    (``invalid_token``, or ``invalid_request`` for a malformed header); the message is the
    ``error_description`` and never echoes the token.
    """

    def __init__(self, message: str, *, error: str = "invalid_token") -> None:
        super().__init__(message, suggestion="get a new access token from /oauth/token")
        self.error = error


class InsufficientRights(AuthError):
    """A valid token whose role and scopes do not grant what the request needs (403,
    RFC 6750 ``insufficient_scope``)."""

    def __init__(self, message: str, *, needed: str) -> None:
        super().__init__(message, suggestion=f"ask for a token whose role and scopes grant "
                                             f"{needed!r}")
        self.needed = needed


class AuditError(AuthError):
    """Base class of the audit trail's errors (:mod:`auth.audit`)."""


class AuditBacklogFull(AuditError):
    """The trail holds as many unwritten events as it may (its database is down or slow):
    the event was NOT accepted, and the request that wanted it recorded should fail
    (503) rather than go unaudited."""

    def __init__(self, pending: int) -> None:
        super().__init__(f"the audit trail has {pending} events waiting to be written and "
                         "accepts no more until its database catches up",
                         suggestion="check that the SQL database answers; the trail's "
                                    "writer retries on its own")
        self.pending = pending


class AuditClosed(AuditError):
    """An event was offered to a trail that is closed (or closing): it was not accepted."""

    def __init__(self) -> None:
        super().__init__("the audit trail is closed and accepts no more events")


class AuditHeadsUnreadable(AuditError):
    """The file of signed audit heads cannot be read, or a line of it is malformed."""
# Errors of the OAuth authorization server's stores (added by the OAuth work).


class RegistrationError(AuthError):
    """A client or a user cannot be registered as asked (a bad scope, role, redirect URI,
    login or password, or a name already taken); the message names the field."""


class UnknownClient(AuthError):
    """No OAuth client has the given id."""

    def __init__(self, client_id: str) -> None:
        super().__init__(f"no OAuth client has the id {client_id!r}",
                         suggestion="`loanwatch clients list` shows the registered clients")
        self.client_id = client_id
