"""The revocation list: access tokens that no longer count although they have not expired.

JWT access tokens are checked without asking the authorization server, so revoking one
(RFC 7009), revoking its client, or catching the reuse of a refresh token puts an entry
here: ``jti:<token id>`` or ``client:<client id>``, kept until the last token it can
concern has expired. Every verifier asks the list on every request, so asking must cost
nothing: each process keeps the live entries in memory, and

* the process that revokes adds the entry at once;
* with Redis (``LOANWATCH_OAUTH_REDIS_URL``), every revocation is also published on a
  Redis channel that every process listens to (a background thread): the others have it
  within milliseconds, and re-read the table after any interruption of the channel;
* without Redis, a process re-reads what is new in the table at most
  ``poll_s`` after the previous read (one indexed query, when a check needs it).

The SQL table is the record; Redis carries news, never the only copy.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any, Final

from sqlalchemy import Engine, delete, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from auth.models import RevocationRow

__all__ = ["CHANNEL", "DEFAULT_POLL_S", "DEFAULT_RESYNC_S", "Revocations", "channel_of",
           "client_key", "token_key"]

#: The Redis channel revocations are published on, followed by ``:<database number>``:
#: Redis channels are server-wide, not per database, so two Loanwatch installations on
#: one Redis server (different databases) must not hear each other's revocations.
CHANNEL: Final = "loanwatch:oauth:revocations"
#: Without Redis: how stale a process's copy may get, in seconds.
DEFAULT_POLL_S: Final = 1.0
#: With Redis listening: the table is re-read this often anyway, in seconds.
DEFAULT_RESYNC_S: Final = 30.0
#: Wait before listening again after the channel broke, in seconds.
_RECONNECT_S: Final = 1.0
#: Entries revoked this many seconds before the newest one seen are read again (clocks of
#: the writers may differ a little).
_OVERLAP_S: Final = 5

_TABLE = RevocationRow.__table__  # type: ignore[attr-defined]
log = logging.getLogger(__name__)


def channel_of(redis: Any) -> str:
    """The revocation channel of the Redis database ``redis`` talks to."""
    database = redis.connection_pool.connection_kwargs.get("db", 0)
    return f"{CHANNEL}:{database}"


def token_key(jti: str) -> str:
    return f"jti:{jti}"


def client_key(client_id: str) -> str:
    return f"client:{client_id}"


class Revocations:
    """The revocation list of ``engine``, shared through ``redis`` when given.

    Args:
        engine: the SQL database (the record).
        redis: a ``redis.Redis`` client, or ``None``; with one, call :meth:`start` to
            listen (and :meth:`close` at the end).
        poll_s: without a working channel, re-read the table when the copy is older.
        resync_s: with the channel working, re-read it this often anyway.
        clock: seconds since the epoch.
    """

    def __init__(self, engine: Engine, *, redis: Any = None, poll_s: float = DEFAULT_POLL_S,
                 resync_s: float = DEFAULT_RESYNC_S,
                 clock: Callable[[], float] = time.time) -> None:
        self._engine = engine
        self._redis = redis
        self._poll_s = poll_s
        self._resync_s = resync_s
        self._clock = clock
        self._postgres = engine.dialect.name == "postgresql"
        self._entries: dict[str, int] = {}
        self._watermark = 0
        self._read_at = float("-inf")
        self._lock = threading.Lock()
        self._listening = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._pubsub: Any = None
        self.channel = CHANNEL if redis is None else channel_of(redis)

    # -- writing -------------------------------------------------------------------------

    def revoke(self, entries: Iterable[tuple[str, int]]) -> None:
        """Revoke each ``(key, expires_at)`` (keys from :func:`token_key`,
        :func:`client_key`); an entry already there keeps its first time."""
        now = int(self._clock())
        rows = [{"key": key, "revoked_at": now, "expires_at": int(expires_at)}
                for key, expires_at in entries if expires_at >= now]
        if not rows:
            return
        # Loanwatch runs on SQLite and PostgreSQL, both of which can skip a key present.
        statement = postgresql_insert(_TABLE) if self._postgres else sqlite_insert(_TABLE)
        with self._engine.begin() as connection:
            connection.execute(statement.on_conflict_do_nothing(index_elements=["key"]), rows)
        with self._lock:
            for row in rows:
                self._entries[row["key"]] = row["expires_at"]
        if self._redis is not None:
            message = json.dumps([[row["key"], row["expires_at"]] for row in rows])
            self._redis.publish(self.channel, message)

    def purge(self) -> int:
        """Delete the entries that concern no live token any more; returns how many."""
        with self._engine.begin() as connection:
            result = connection.execute(
                delete(_TABLE).where(_TABLE.c.expires_at < int(self._clock())))
        return int(result.rowcount or 0)

    # -- reading -------------------------------------------------------------------------

    def is_revoked(self, jti: str, client_id: str) -> bool:
        """Whether the token ``jti`` of ``client_id`` is revoked: what a verifier asks on
        every request (a dictionary lookup; the table is re-read only when the copy is
        older than allowed)."""
        now = self._clock()
        interval = self._resync_s if self._listening.is_set() else self._poll_s
        if now - self._read_at >= interval:
            self.refresh()
        entries = self._entries
        for key in (token_key(jti), client_key(client_id)):
            expires_at = entries.get(key)
            if expires_at is not None and expires_at >= now:
                return True
        return False

    def refresh(self, *, full: bool = False) -> None:
        """Read the entries revoked since the newest one seen (all live ones if ``full``),
        and forget the expired ones."""
        now = int(self._clock())
        since = 0 if full else max(0, self._watermark - _OVERLAP_S)
        with self._engine.connect() as connection:
            rows = connection.execute(
                select(_TABLE.c.key, _TABLE.c.expires_at, _TABLE.c.revoked_at).where(
                    _TABLE.c.revoked_at >= since, _TABLE.c.expires_at >= now)).all()
        with self._lock:
            entries = {k: e for k, e in self._entries.items() if e >= now}
            for key, expires_at, revoked_at in rows:
                entries[key] = int(expires_at)
                self._watermark = max(self._watermark, int(revoked_at))
            self._entries = entries
            self._read_at = now

    # -- listening -----------------------------------------------------------------------

    @property
    def listening(self) -> bool:
        """Whether news arrives through Redis right now."""
        return self._listening.is_set()

    def start(self) -> None:
        """Read the table, and with Redis, start listening (a daemon thread)."""
        self.refresh(full=True)
        if self._redis is None or self._thread is not None:
            return
        self._thread = threading.Thread(target=self._listen, name="oauth-revocations",
                                        daemon=True)
        self._thread.start()

    def wait_listening(self, timeout_s: float) -> bool:
        """Wait until the channel is listened to; whether it is."""
        return self._listening.wait(timeout_s)

    def close(self) -> None:
        """Stop listening."""
        self._stop.set()
        pubsub = self._pubsub
        if pubsub is not None:
            try:
                pubsub.close()
            except Exception:
                log.debug("closing the revocation channel failed", exc_info=True)
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def _listen(self) -> None:
        from redis.exceptions import RedisError

        while not self._stop.is_set():
            try:
                self._pubsub = self._redis.pubsub(ignore_subscribe_messages=True)
                self._pubsub.subscribe(self.channel)
                # What was published before the subscription is in the table.
                self.refresh(full=True)
                self._listening.set()
                while not self._stop.is_set():
                    message = self._pubsub.get_message(timeout=1.0)
                    if message is not None:
                        self._take(message.get("data"))
            except (RedisError, OSError, ValueError) as exc:
                if self._stop.is_set():
                    break
                log.warning("the revocation channel broke (%s); reading the table every "
                            "%.1f s until it is back", type(exc).__name__, self._poll_s)
            finally:
                self._listening.clear()
            self._stop.wait(_RECONNECT_S)

    def _take(self, data: object) -> None:
        try:
            entries = json.loads(data if isinstance(data, str | bytes) else "")
            parsed = [(str(key), int(expires_at)) for key, expires_at in entries]
        except (ValueError, TypeError):
            log.warning("ignored a malformed message on %s", self.channel)
            return
        with self._lock:
            for key, expires_at in parsed:
                self._entries[key] = expires_at
