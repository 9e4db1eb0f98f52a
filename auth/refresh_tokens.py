"""Refresh tokens: rotated at each use, and a reused one revokes its whole family.

Every refresh token belongs to a *family*: the tokens rotated, one from the other, out of
one authorization. Exchanging a token marks it used (atomically: of two requests racing
with the same token, one wins) and issues the next one of the family. Presenting a used
token again means it was copied: the thief or the owner has the newer one, and the server
cannot tell which is which, so the whole family is revoked, with the access tokens issued
alongside (they go on the revocation list), and the user signs in again (RFC 9700 4.14).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from authlib.oauth2.rfc6749 import TokenMixin
from sqlalchemy import Engine, select, update

from auth.credentials import hash_token, new_secret
from auth.models import RefreshTokenRow

__all__ = ["RefreshToken", "RefreshTokens"]

_TABLE = RefreshTokenRow.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True, slots=True)
class RefreshToken(TokenMixin):  # type: ignore[misc]
    """One refresh token, as the grants and the endpoints see it."""

    token_hash: str = field(repr=False)
    family_id: str
    client_id: str
    user_login: str
    scope: str
    issued_at: int
    expires_at: int
    used_at: int | None
    revoked_at: int | None
    access_jti: str
    access_expires_at: int
    now: int = field(repr=False, compare=False, default=0)

    def check_client(self, client: object) -> bool:
        return getattr(client, "client_id", None) == self.client_id

    def get_scope(self) -> str:
        return self.scope

    def get_expires_in(self) -> int:
        return self.expires_at - self.issued_at

    def is_expired(self) -> bool:
        return self.expires_at < self.now

    def is_revoked(self) -> bool:
        return self.revoked_at is not None or self.used_at is not None

    def get_user(self) -> str:
        return self.user_login

    def get_client(self) -> str:
        return self.client_id


class RefreshTokens:
    """Refresh tokens in the SQL database ``engine``."""

    def __init__(self, engine: Engine, *, clock: Callable[[], float] = time.time) -> None:
        self._engine = engine
        self._clock = clock

    def issue(self, *, client_id: str, user_login: str, scope: str, ttl_s: int,
              access_jti: str, access_expires_at: int, family_id: str | None = None,
              token: str | None = None) -> str:
        """Store a new refresh token (of ``family_id``, or of a new family); returns it."""
        token = token or new_secret()
        now = int(self._clock())
        with self._engine.begin() as connection:
            connection.execute(_TABLE.insert().values(
                token_hash=hash_token(token), family_id=family_id or hash_token(token),
                client_id=client_id, user_login=user_login, scope=scope, issued_at=now,
                expires_at=now + ttl_s, used_at=None, revoked_at=None,
                access_jti=access_jti, access_expires_at=access_expires_at))
        return token

    def find(self, token: str) -> RefreshToken | None:
        """The stored token ``token`` (used, revoked or expired ones too), or ``None``."""
        with self._engine.connect() as connection:
            row = connection.execute(
                select(_TABLE).where(_TABLE.c.token_hash == hash_token(token))).first()
        if row is None:
            return None
        return RefreshToken(**row._asdict(), now=int(self._clock()))

    def claim(self, token: RefreshToken) -> bool:
        """Mark ``token`` used; ``False`` when it already was (or was revoked)."""
        with self._engine.begin() as connection:
            result = connection.execute(
                update(_TABLE).where(_TABLE.c.token_hash == token.token_hash,
                                     _TABLE.c.used_at.is_(None),
                                     _TABLE.c.revoked_at.is_(None))
                .values(used_at=int(self._clock())))
        return result.rowcount == 1

    def revoke_family(self, family_id: str) -> list[tuple[str, int]]:
        """Revoke every token of ``family_id``; returns the ``(jti, expires_at)`` of the
        access tokens issued with them (for the revocation list)."""
        now = int(self._clock())
        with self._engine.begin() as connection:
            connection.execute(update(_TABLE).where(_TABLE.c.family_id == family_id,
                                                    _TABLE.c.revoked_at.is_(None))
                               .values(revoked_at=now))
            rows = connection.execute(select(_TABLE.c.access_jti, _TABLE.c.access_expires_at)
                                      .where(_TABLE.c.family_id == family_id)).all()
        return [(jti, int(expires_at)) for jti, expires_at in rows]

    def revoke_client(self, client_id: str) -> int:
        """Revoke every refresh token of ``client_id``; returns how many."""
        with self._engine.begin() as connection:
            result = connection.execute(update(_TABLE).where(_TABLE.c.client_id == client_id,
                                                             _TABLE.c.revoked_at.is_(None))
                                        .values(revoked_at=int(self._clock())))
        return int(result.rowcount or 0)
