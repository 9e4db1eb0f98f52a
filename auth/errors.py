"""Errors of authentication and authorization. A leaf: it imports only the error root."""

from __future__ import annotations

from loanwatch.errors import LoanwatchError

__all__ = ["AuthError", "InsufficientRights", "InvalidToken", "RegistrationError", "UnknownClient"]


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
