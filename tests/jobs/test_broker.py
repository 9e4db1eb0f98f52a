"""The broker chosen by the settings, and a real round trip through Redis."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator

import dramatiq
import pytest
import redis
from dramatiq.brokers.redis import RedisBroker
from dramatiq.brokers.stub import StubBroker

from jobs.actors.housekeeping import RETENTION_DAYS
from jobs.broker import build_broker
from jobs.redis_broker import LoanwatchRedisBroker, RedisHeartbeat
from loanwatch.cli.job_wiring import job_options, job_values
from loanwatch.errors import BackendUnavailable, ConfigurationError
from loanwatch.settings import Settings
from tests.services import REDIS_URL, unreachable


def settings_with(broker_url: str | None) -> str | None:
    """The broker URL as the entry points pass it: read from settings, in clear."""
    environ = {} if broker_url is None else {"LOANWATCH_BROKER_URL": broker_url}
    return Settings.from_environ(environ).broker_url_value


def test_no_url_means_the_in_process_broker() -> None:
    assert isinstance(build_broker(settings_with(None)), StubBroker)


def test_an_unknown_scheme_is_refused_at_start_up() -> None:
    with pytest.raises(ConfigurationError, match="'kafka://x' is not a Redis or RabbitMQ URL"):
        build_broker(settings_with("kafka://x"))


def test_an_unreachable_rabbitmq_names_its_address_without_its_password() -> None:
    with pytest.raises(BackendUnavailable) as raised:
        build_broker(settings_with("amqp://lw:s3cret-pw@127.0.0.1:1/%2F"))
    assert "cannot reach RabbitMQ at amqp://lw:***@127.0.0.1:1/%2F" in str(raised.value)
    assert "s3cret-pw" not in str(raised.value)


def test_the_job_settings_configure_the_broker_and_its_middleware() -> None:
    settings = Settings.from_environ({
        "LOANWATCH_BROKER_HEARTBEAT_TIMEOUT_S": "3", "LOANWATCH_JOB_MAX_RETRIES": "4",
        "LOANWATCH_JOB_RETRY_MIN_BACKOFF_S": "0.5", "LOANWATCH_JOB_TIME_LIMIT_S": "30",
        "LOANWATCH_JOB_MAX_AGE_S": "120"})
    broker = build_broker(None, job_options(settings))
    by_type = {type(m).__name__: m for m in broker.middleware}
    assert by_type["Retries"].min_backoff == 500
    assert by_type["Retries"].retry_when(3, BackendUnavailable("x", "y", "z"))
    assert not by_type["Retries"].retry_when(4, BackendUnavailable("x", "y", "z"))
    assert not by_type["Retries"].retry_when(0, ValueError("a validation error"))
    assert by_type["TimeLimit"].time_limit == 30_000
    assert by_type["AgeLimit"].max_age == 120_000
    with pytest.raises(ConfigurationError, match="LOANWATCH_BROKER_HEARTBEAT_TIMEOUT_S"):
        Settings.from_environ({"LOANWATCH_BROKER_HEARTBEAT_TIMEOUT_S": "0"})


def test_done_units_are_kept_longer_than_a_message_may_wait() -> None:
    assert Settings.from_environ({}).job_unit_retention_days == 30
    kept = Settings.from_environ({"LOANWATCH_JOB_UNIT_RETENTION_DAYS": "2",
                                  "LOANWATCH_JOB_MAX_AGE_S": "86400"})
    assert job_values(kept)[RETENTION_DAYS] == 2
    with pytest.raises(ConfigurationError, match=r"LOANWATCH_JOB_UNIT_RETENTION_DAYS.*"
                                                 r"not longer than LOANWATCH_JOB_MAX_AGE_S"):
        Settings.from_environ({"LOANWATCH_JOB_UNIT_RETENTION_DAYS": "1",
                               "LOANWATCH_JOB_MAX_AGE_S": "86400"})


@pytest.mark.redis
def test_the_heartbeat_window_is_a_setting() -> None:
    settings = Settings.from_environ({"LOANWATCH_BROKER_URL": REDIS_URL,
                                      "LOANWATCH_BROKER_HEARTBEAT_TIMEOUT_S": "2.5"})
    try:
        broker = build_broker(REDIS_URL, job_options(settings))
    except BackendUnavailable as exc:
        unreachable("Redis", REDIS_URL, exc)
    try:
        assert isinstance(broker, LoanwatchRedisBroker)
        assert broker.heartbeat_timeout == 2_500
        assert any(isinstance(m, RedisHeartbeat) for m in broker.middleware)
    finally:
        broker.close()


def test_an_unreachable_redis_names_its_address() -> None:
    with pytest.raises(BackendUnavailable, match=r"cannot reach Redis at redis://127\.0\.0\.1:1/0"):
        build_broker(settings_with("redis://127.0.0.1:1/0"))


def test_messages_never_show_a_redis_password() -> None:
    with pytest.raises(BackendUnavailable) as raised:
        build_broker(settings_with("redis://:s3cret-pw@127.0.0.1:1/0"))
    assert "s3cret-pw" not in str(raised.value)
    assert "redis://:***@127.0.0.1:1/0" in str(raised.value)
    with pytest.raises(ConfigurationError) as refused:
        build_broker(settings_with("kafka://user:s3cret-pw@host/"))
    assert "s3cret-pw" not in str(refused.value)


def test_settings_never_show_secrets() -> None:
    settings = Settings.from_environ({
        "LOANWATCH_DATABASE_URL": "postgresql://lw:db-pw@127.0.0.1/lw",
        "LOANWATCH_NEO4J_PASSWORD": "neo-pw",
        "LOANWATCH_BROKER_URL": "redis://:redis-pw@127.0.0.1:6379/0",
    })
    shown = f"{settings!r} {settings}"
    for secret in ("db-pw", "neo-pw", "redis-pw"):
        assert secret not in shown
    assert settings.resolved_database_url == "postgresql://lw:db-pw@127.0.0.1/lw"
    assert settings.neo4j_password.get_secret_value() == "neo-pw"


def test_a_bad_setting_message_does_not_echo_its_value() -> None:
    with pytest.raises(ConfigurationError) as refused:
        Settings.from_environ({"LOANWATCH_PORT": "secret-looking-99999x"})
    assert "LOANWATCH_PORT" in str(refused.value)
    assert "secret-looking" not in str(refused.value)


@pytest.fixture
def redis_broker() -> Iterator[RedisBroker]:
    try:
        broker = build_broker(settings_with(REDIS_URL))
    except BackendUnavailable as exc:
        unreachable("Redis", REDIS_URL, exc)
    assert isinstance(broker, RedisBroker)
    broker.flush_all()
    yield broker
    broker.flush_all()
    broker.close()


@pytest.mark.redis
def test_a_message_travels_through_redis_to_a_worker(redis_broker: RedisBroker) -> None:
    received: list[tuple[str, int]] = []

    @dramatiq.actor(broker=redis_broker, queue_name="loanwatch_test", max_retries=0)
    def record(loan_id: str, days: int) -> None:
        received.append((loan_id, days))

    record.send("LN-1", 30)
    record.send("LN-2", 90)
    worker = dramatiq.Worker(redis_broker, worker_timeout=100, worker_threads=1)
    worker.start()
    try:
        redis_broker.join("loanwatch_test", timeout=10_000)
        worker.join()
    finally:
        worker.stop()
    assert sorted(received) == [("LN-1", 30), ("LN-2", 90)]


@pytest.mark.redis
def test_a_silent_workers_messages_come_back_after_the_heartbeat_window() -> None:
    namespace = f"lwtest-{uuid.uuid4().hex[:8]}"
    try:
        dead = LoanwatchRedisBroker(url=REDIS_URL, namespace=namespace, heartbeat_timeout=1_000)
        dead.client.ping()
    except redis.RedisError as exc:
        unreachable("Redis", REDIS_URL, exc)
    alive = LoanwatchRedisBroker(url=REDIS_URL, namespace=namespace, heartbeat_timeout=1_000)
    queue = f"{namespace}:q"
    try:
        for broker in (dead, alive):
            broker.declare_queue("q")
        dead.enqueue(dramatiq.Message(queue_name="q", actor_name="a", args=(), kwargs={},
                                      options={}))
        consumer = dead.consume("q", prefetch=1, timeout=100)
        assert next(consumer) is not None  # fetched, never acknowledged: the worker dies
        assert dead.client.llen(queue) == 0
        alive.beat()  # within the window: the dead worker may still be working on it
        assert dead.client.llen(queue) == 0
        time.sleep(1.2)  # past the 1 s window (LOANWATCH_BROKER_HEARTBEAT_TIMEOUT_S)
        alive.beat()
        assert dead.client.llen(queue) == 1  # back on its queue for a live worker
    finally:
        for key in dead.client.scan_iter(f"{namespace}:*"):
            dead.client.delete(key)
        dead.close()
        alive.close()
