"""The Dramatiq broker for this process, chosen by the broker URL, with Loanwatch's
middleware.

No URL (``LOANWATCH_BROKER_URL`` unset) means an in-process broker: jobs run on worker
threads of the same process (:mod:`jobs.in_process`, as in ``make demo``). A ``redis://``
URL means Redis, with separate worker processes (``loanwatch worker``); an ``amqp://`` URL
means RabbitMQ, through Dramatiq's ``RabbitmqBroker`` (``pika`` installed).

Every broker gets the same middleware, configured by :class:`jobs.options.JobOptions`:
an age limit, a time limit, retries with exponential backoff for transient faults only
(:mod:`jobs.retry_policy`), the current message for the actors, and on Redis a heartbeat
(:mod:`jobs.redis_broker`). The worker adds the dead-letter store
(:class:`jobs.dead_letter_middleware.DeadLetterRecorder`), which needs the database.
Actors are declared on a broker by :func:`jobs.catalog.declare_jobs`, never at import time,
so no module depends on which broker was current when it was imported.
"""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

import dramatiq
from dramatiq.brokers.stub import StubBroker
from dramatiq.middleware import (
    AgeLimit,
    Callbacks,
    CurrentMessage,
    Middleware,
    Pipelines,
    Retries,
    ShutdownNotifications,
    TimeLimit,
)
from redis import Redis
from redis.exceptions import RedisError

from jobs.options import JobOptions
from jobs.redis_broker import LoanwatchRedisBroker, RedisHeartbeat
from jobs.retry_policy import retry_when
from loanwatch.errors import BackendUnavailable, ConfigurationError

__all__ = ["bind_broker", "build_broker", "display_broker_url", "job_middleware"]

#: Seconds to wait for Redis to answer before giving up on it at start-up.
REDIS_CONNECT_TIMEOUT_S = 5.0
_REDIS_SCHEMES = ("redis://", "rediss://", "unix://")
_AMQP_SCHEMES = ("amqp://", "amqps://")


def job_middleware(options: JobOptions) -> list[Middleware]:
    """Dramatiq's middleware as Loanwatch configures it (module docstring)."""
    return [
        AgeLimit(max_age=options.max_age_ms),
        TimeLimit(time_limit=options.time_limit_ms),
        ShutdownNotifications(),
        Callbacks(),
        Pipelines(),
        Retries(max_retries=options.max_retries, min_backoff=options.retry_min_backoff_ms,
                max_backoff=options.retry_max_backoff_ms,
                retry_when=retry_when(options.max_retries)),
        CurrentMessage(),
    ]


def build_broker(url: str | None, options: JobOptions | None = None) -> dramatiq.Broker:
    """A broker for ``url`` (``None``: in-process), checked to answer when it is a server.

    Raises:
        ConfigurationError: the URL's scheme is not one Loanwatch supports, or RabbitMQ
            is asked for and ``pika`` is not installed.
        BackendUnavailable: the server does not answer.
    """
    options = options or JobOptions(broker_url=url)
    middleware = job_middleware(options)
    if url is None:
        return StubBroker(middleware=middleware)
    if url.startswith(_AMQP_SCHEMES):
        return _rabbitmq_broker(url, middleware)
    if not url.startswith(_REDIS_SCHEMES):
        raise ConfigurationError(
            f"LOANWATCH_BROKER_URL {display_broker_url(url)!r} is not a Redis or RabbitMQ URL",
            suggestion="use redis://HOST:PORT/DB or amqp://USER:PASSWORD@HOST:PORT/VHOST, or "
                       "leave it unset for the in-process broker",
        )
    client = Redis.from_url(url, socket_connect_timeout=REDIS_CONNECT_TIMEOUT_S)
    try:
        client.ping()
    except RedisError as exc:
        client.close()
        raise BackendUnavailable("Redis", display_broker_url(url), str(exc),
                                 suggestion="start it with `tools/services.sh start`") from exc
    return LoanwatchRedisBroker(client=client, middleware=[*middleware, RedisHeartbeat()],
                                heartbeat_timeout=options.heartbeat_timeout_ms,
                                dead_message_ttl=options.dead_message_ttl_ms)


def _rabbitmq_broker(url: str, middleware: list[Middleware]) -> dramatiq.Broker:
    try:
        import pika.exceptions
        from dramatiq.brokers.rabbitmq import RabbitmqBroker
    except ImportError as exc:
        raise ConfigurationError(
            f"LOANWATCH_BROKER_URL {display_broker_url(url)!r} asks for RabbitMQ, whose "
            "client (pika) is not installed", suggestion="pip install -c constraints.txt "
            "pika, or use Redis") from exc
    broker = RabbitmqBroker(url=url, middleware=middleware, confirm_delivery=True)
    try:
        broker.connection  # noqa: B018 - connects now, so a bad address fails at start-up
    except (pika.exceptions.AMQPError, OSError) as exc:
        broker.close()
        raise BackendUnavailable("RabbitMQ", display_broker_url(url),
                                 str(exc) or type(exc).__name__) from exc
    return broker


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


def bind_broker(url: str | None, options: JobOptions | None = None) -> dramatiq.Broker:
    """Build the broker for ``url`` and make it Dramatiq's current broker."""
    broker = build_broker(url, options)
    dramatiq.set_broker(broker)
    return broker
