"""The revocation list: access tokens that no longer count although they have not expired.

JWT access tokens are checked without asking the authorization server, so revoking one
(RFC 7009), revoking its client, or catching the reuse of a refresh token puts an entry
here, and every verifier looks the token up on every request: ``jti:<token id>`` and
``client:<client id>``. An entry lives until the last token it can concern has expired.

The SQL table is the record; with Redis (``LOANWATCH_OAUTH_REDIS_URL``) every entry is
also a Redis key with the same lifetime, and verifiers ask Redis (one ``EXISTS`` of two
keys, tens of microseconds), so a revocation takes effect at once in every process.
Without Redis the verifiers ask the SQL table (a primary-key lookup).
:meth:`Revocations.republish` copies the live entries back into an emptied Redis.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Any, Final

from sqlalchemy import Engine, bindparam, delete, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from auth.models import RevocationRow

__all__ = ["REDIS_PREFIX", "Revocations", "client_key", "token_key"]

#: Prefix of the revocation keys in Redis.
REDIS_PREFIX: Final = "loanwatch:oauth:revoked:"

_TABLE = RevocationRow.__table__  # type: ignore[attr-defined]


def token_key(jti: str) -> str:
    return f"jti:{jti}"


def client_key(client_id: str) -> str:
    return f"client:{client_id}"


class Revocations:
    """The revocation list in ``engine``, mirrored to Redis when clients are given.

    Args:
        engine: the SQL database (the record).
        redis: a synchronous ``redis.Redis`` the writers use, or ``None``.
        async_redis: a ``redis.asyncio.Redis`` on the same server, for :meth:`is_revoked`.
        clock: seconds since the epoch.
    """

    def __init__(self, engine: Engine, *, redis: Any = None, async_redis: Any = None,
                 clock: Callable[[], float] = time.time) -> None:
        self._engine = engine
        self._redis = redis
        self._async_redis = async_redis
        self._clock = clock
        self._postgres = engine.dialect.name == "postgresql"
        self._lookup = select(_TABLE.c.key).where(
            _TABLE.c.key.in_([bindparam("a"), bindparam("b")]),
            _TABLE.c.expires_at >= bindparam("now"),
        ).limit(1)

    def revoke(self, entries: Iterable[tuple[str, int]]) -> None:
        """Revoke each ``(key, expires_at)`` (keys from :func:`token_key`,
        :func:`client_key`); an entry already there keeps its first time."""
        now = int(self._clock())
        rows = [{"key": key, "revoked_at": now, "expires_at": expires_at}
                for key, expires_at in entries if expires_at >= now]
        if not rows:
            return
        # Loanwatch runs on SQLite and PostgreSQL, both of which can skip a key present.
        statement = postgresql_insert(_TABLE) if self._postgres else sqlite_insert(_TABLE)
        query = statement.on_conflict_do_nothing(index_elements=["key"])
        with self._engine.begin() as connection:
            connection.execute(query, rows)
        if self._redis is not None:
            pipe = self._redis.pipeline(transaction=False)
            for row in rows:
                pipe.set(REDIS_PREFIX + row["key"], 1,
                         ex=max(1, int(row["expires_at"]) - now + 1))
            pipe.execute()

    def _sql_revoked(self, keys: list[str]) -> bool:
        with self._engine.connect() as connection:
            found = connection.execute(
                self._lookup, {"a": keys[0], "b": keys[-1], "now": int(self._clock())}
            ).first()
        return found is not None

    def is_revoked_now(self, jti: str, client_id: str) -> bool:
        """Whether the token ``jti`` of ``client_id`` is revoked (synchronous)."""
        keys = [token_key(jti), client_key(client_id)]
        if self._redis is not None:
            return bool(self._redis.exists(*(REDIS_PREFIX + k for k in keys)))
        return self._sql_revoked(keys)

    async def is_revoked(self, jti: str, client_id: str) -> bool:
        """Whether the token ``jti`` of ``client_id`` is revoked: what a verifier asks on
        every request."""
        keys = [token_key(jti), client_key(client_id)]
        if self._async_redis is not None:
            return bool(await self._async_redis.exists(*(REDIS_PREFIX + k for k in keys)))
        if self._redis is not None:
            return bool(self._redis.exists(*(REDIS_PREFIX + k for k in keys)))
        return self._sql_revoked(keys)

    def purge(self) -> int:
        """Delete the entries that concern no live token any more; returns how many."""
        with self._engine.begin() as connection:
            result = connection.execute(
                delete(_TABLE).where(_TABLE.c.expires_at < int(self._clock())))
        return int(result.rowcount or 0)

    def republish(self) -> int:
        """Copy every live entry into Redis (after Redis lost its data); returns how many."""
        if self._redis is None:
            return 0
        now = int(self._clock())
        with self._engine.connect() as connection:
            rows = connection.execute(select(_TABLE.c.key, _TABLE.c.expires_at).where(
                _TABLE.c.expires_at >= now)).all()
        pipe = self._redis.pipeline(transaction=False)
        for key, expires_at in rows:
            pipe.set(REDIS_PREFIX + key, 1, ex=max(1, int(expires_at) - now + 1))
        pipe.execute()
        return len(rows)
