"""Bearer tokens on the API (RFC 6750): reading the ``Authorization`` header, and the
``WWW-Authenticate`` challenges of the answers that refuse a request.

A request without credentials gets ``401`` and a bare challenge
(``Bearer realm="loanwatch"``); a malformed ``Authorization`` header ``400``
``invalid_request``; a token the :class:`auth.principal.TokenVerifier` rejects ``401``
``invalid_token`` with the verifier's description (never the token); a valid token whose
rights fall short ``403`` ``insufficient_scope`` with the scope that would grant them.

Example::

    principal = await authenticate(request.headers.get("authorization"), verifier)
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Final

from auth.errors import InvalidToken
from auth.principal import SCOPE_RIGHTS, Principal, Right, TokenVerifier

__all__ = [
    "REALM",
    "MissingCredentials",
    "RefuseEveryToken",
    "authenticate",
    "bearer_challenge",
    "bearer_token",
    "scope_granting",
]

#: The protection space every challenge names.
REALM: Final = "loanwatch"
#: RFC 6750's b64token.
_TOKEN: Final = re.compile(r"[A-Za-z0-9\-._~+/]+=*")
#: Characters kept in a quoted ``error_description`` (RFC 6750 §3: visible ASCII but
#: ``"`` and ``\``).
_UNQUOTED: Final = re.compile(r'[^\x20-\x21\x23-\x5b\x5d-\x7e]')


class MissingCredentials(InvalidToken):
    """The request carries no access token at all (RFC 6750 §3.1: no error code)."""

    def __init__(self) -> None:
        super().__init__("this endpoint needs an access token: send "
                         "'Authorization: Bearer <token>'", error="")


def bearer_token(authorization: str | None) -> str:
    """The token of an ``Authorization: Bearer <token>`` header value.

    Raises:
        MissingCredentials: no header.
        InvalidToken: another scheme, or not one well-formed token (``invalid_request``).
    """
    if authorization is None or not authorization.strip():
        raise MissingCredentials
    scheme, _, token = authorization.strip().partition(" ")
    if scheme.lower() != "bearer":
        raise InvalidToken(f"the Authorization header uses the {scheme[:20]!r} scheme; "
                           "this API takes 'Bearer <token>'", error="invalid_request")
    token = token.strip()
    if not _TOKEN.fullmatch(token):
        raise InvalidToken("the Authorization header's bearer token is empty or malformed",
                           error="invalid_request")
    return token


async def authenticate(authorization: str | None, verifier: TokenVerifier) -> Principal:
    """The principal of the bearer token in ``authorization`` (a header value).

    Raises:
        InvalidToken: as :func:`bearer_token` and ``verifier.verify`` say.
    """
    return await verifier.verify(bearer_token(authorization))


def _quoted(text: str) -> str:
    return '"' + _UNQUOTED.sub("?", text)[:300] + '"'


def bearer_challenge(error: InvalidToken | None = None, *,
                     insufficient: Right | None = None) -> str:
    """The ``WWW-Authenticate`` value answering ``error`` (or a missing ``insufficient``
    right: ``insufficient_scope`` with the scope that would grant it)."""
    parts = [f"realm={_quoted(REALM)}"]
    if insufficient is not None:
        parts.append('error="insufficient_scope"')
        scope = scope_granting(insufficient)
        if scope is not None:
            parts.append(f"scope={_quoted(scope)}")
        parts.append("error_description=" + _quoted(
            f"this request needs the right {insufficient.value!r}"))
    elif error is not None and error.error:
        parts.append(f"error={_quoted(error.error)}")
        parts.append(f"error_description={_quoted(error.message)}")
    return "Bearer " + ", ".join(parts)


def scope_granting(right: Right, scope_rights: Mapping[str, frozenset[Right]] = SCOPE_RIGHTS
                   ) -> str | None:
    """The scope that opens ``right``, if one does."""
    return next((scope for scope, rights in scope_rights.items() if right in rights), None)


class RefuseEveryToken:
    """The verifier of an API configured without one: every token is refused (fail closed)."""

    async def verify(self, token: str) -> Principal:
        raise InvalidToken("this server has no token verifier configured",
                           error="invalid_token")
