"""The Dramatiq broker for this process, chosen by the broker URL of the settings.

No URL (``LOANWATCH_BROKER_URL`` unset) means an in-process broker (jobs run on worker threads of
the same process, as in ``make demo``); a ``redis://`` URL means Redis, with separate
worker processes. Bind the broker with :func:`bind_broker` before importing any actor
module: Dramatiq attaches actors to the broker that is current when they are declared.
"""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

import dramatiq
from dramatiq.brokers.redis import RedisBroker
from dramatiq.brokers.stub import StubBroker
from redis import Redis
from redis.exceptions import RedisError

from loanwatch.errors import BackendUnavailable, ConfigurationError

__all__ = ["bind_broker", "build_broker", "display_broker_url"]

#: Seconds to wait for Redis to answer before giving up on it at start-up.
REDIS_CONNECT_TIMEOUT_S = 5.0


def build_broker(url: str | None) -> dramatiq.Broker:
    """A broker for ``url`` (``None``: in-process), checked to answer when it is a server.

    Raises:
        ConfigurationError: the URL's scheme is not one Loanwatch supports.
        BackendUnavailable: Redis does not answer.
    """
    if url is None:
        return StubBroker()
    if not url.startswith(("redis://", "rediss://", "unix://")):
        raise ConfigurationError(
            f"LOANWATCH_BROKER_URL {display_broker_url(url)!r} is not a Redis URL",
            suggestion="use redis://HOST:PORT/DB, or leave it unset for the in-process broker",
        )
    client = Redis.from_url(url, socket_connect_timeout=REDIS_CONNECT_TIMEOUT_S)
    try:
        client.ping()
    except RedisError as exc:
        client.close()
        raise BackendUnavailable("Redis", display_broker_url(url), str(exc),
                                 suggestion="start it with `tools/services.sh start`") from exc
    return RedisBroker(client=client)


def display_broker_url(url: str) -> str:
    """``url`` with its password replaced by ``***``, fit for messages and logs."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    user = parts.username or ""
    host = parts.hostname or ""
    if parts.port is not None:
        host = f"{host}:{parts.port}"
    return urlunsplit(parts._replace(netloc=f"{user}:***@{host}"))


def bind_broker(url: str | None) -> dramatiq.Broker:
    """Build the broker for ``url`` and make it Dramatiq's current broker."""
    broker = build_broker(url)
    dramatiq.set_broker(broker)
    return broker
