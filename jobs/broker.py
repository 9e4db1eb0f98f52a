"""The Dramatiq broker for this process, chosen by the settings.

``LOANWATCH_BROKER_URL`` unset means an in-process broker (jobs run on worker threads of
the same process, as in ``make demo``); a ``redis://`` URL means Redis, with separate
worker processes. Bind the broker with :func:`bind_broker` before importing any actor
module: Dramatiq attaches actors to the broker that is current when they are declared.
"""

from __future__ import annotations

import dramatiq
from dramatiq.brokers.redis import RedisBroker
from dramatiq.brokers.stub import StubBroker
from redis import Redis
from redis.exceptions import RedisError

from loanwatch.errors import BackendUnavailable, ConfigurationError
from loanwatch.settings import Settings

__all__ = ["bind_broker", "build_broker"]

#: Seconds to wait for Redis to answer before giving up on it at start-up.
REDIS_CONNECT_TIMEOUT_S = 5.0


def build_broker(settings: Settings) -> dramatiq.Broker:
    """A broker for ``settings.broker_url``, checked to answer when it is a server.

    Raises:
        ConfigurationError: the URL's scheme is not one Loanwatch supports.
        BackendUnavailable: Redis does not answer.
    """
    url = settings.broker_url
    if url is None:
        return StubBroker()
    if not url.startswith(("redis://", "rediss://", "unix://")):
        raise ConfigurationError(
            f"LOANWATCH_BROKER_URL {url!r} is not a Redis URL",
            suggestion="use redis://HOST:PORT/DB, or leave it unset for the in-process broker",
        )
    client = Redis.from_url(url, socket_connect_timeout=REDIS_CONNECT_TIMEOUT_S)
    try:
        client.ping()
    except RedisError as exc:
        client.close()
        raise BackendUnavailable("Redis", url, str(exc),
                                 suggestion="start it with `tools/services.sh start`") from exc
    return RedisBroker(client=client)


def bind_broker(settings: Settings) -> dramatiq.Broker:
    """Build the broker for ``settings`` and make it Dramatiq's current broker."""
    broker = build_broker(settings)
    dramatiq.set_broker(broker)
    return broker
