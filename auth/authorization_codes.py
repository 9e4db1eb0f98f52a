"""Authorization codes between the login page and the token endpoint.

A code lives :data:`CODE_TTL_S` seconds, is kept as its SHA-256, and is taken exactly
once: :meth:`AuthorizationCodes.take` deletes it in the same statement that reads it, so
two requests racing with one code cannot both get tokens.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from authlib.oauth2.rfc6749 import AuthorizationCodeMixin
from sqlalchemy import Engine, delete, select

from auth.credentials import hash_token
from auth.models import AuthorizationCodeRow

__all__ = ["CODE_TTL_S", "AuthorizationCode", "AuthorizationCodes"]

#: How long a code may wait for its exchange (RFC 6749 recommends at most 10 minutes).
CODE_TTL_S: Final = 120

_TABLE = AuthorizationCodeRow.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True, slots=True)
class AuthorizationCode(AuthorizationCodeMixin):  # type: ignore[misc]
    client_id: str
    user_login: str
    redirect_uri: str
    scope: str
    code_challenge: str
    code_challenge_method: str
    expires_at: int

    def get_redirect_uri(self) -> str:
        return self.redirect_uri

    def get_scope(self) -> str:
        return self.scope


class AuthorizationCodes:
    """Codes in the SQL database ``engine``."""

    def __init__(self, engine: Engine, *, clock: Callable[[], float] = time.time) -> None:
        self._engine = engine
        self._clock = clock

    def save(self, code: str, *, client_id: str, user_login: str, redirect_uri: str,
             scope: str, code_challenge: str = "", code_challenge_method: str = "") -> None:
        with self._engine.begin() as connection:
            connection.execute(_TABLE.insert().values(
                code_hash=hash_token(code), client_id=client_id, user_login=user_login,
                redirect_uri=redirect_uri, scope=scope, code_challenge=code_challenge,
                code_challenge_method=code_challenge_method,
                expires_at=int(self._clock()) + CODE_TTL_S))

    def take(self, code: str, client_id: str) -> AuthorizationCode | None:
        """The unexpired code ``code`` of ``client_id``, removed; ``None`` when there is
        none (unknown, expired, another client's, or already taken)."""
        now = int(self._clock())
        with self._engine.begin() as connection:
            row = connection.execute(
                delete(_TABLE).where(_TABLE.c.code_hash == hash_token(code))
                .returning(*[c for c in _TABLE.c if c.name != "code_hash"])).first()
            # Expired codes of anyone go too; there are few.
            connection.execute(delete(_TABLE).where(_TABLE.c.expires_at < now))
        if row is None or row.client_id != client_id or row.expires_at < now:
            return None
        return AuthorizationCode(
            client_id=row.client_id, user_login=row.user_login, redirect_uri=row.redirect_uri,
            scope=row.scope, code_challenge=row.code_challenge,
            code_challenge_method=row.code_challenge_method, expires_at=row.expires_at)

    def count(self) -> int:
        with self._engine.connect() as connection:
            return len(connection.execute(select(_TABLE.c.code_hash)).all())
