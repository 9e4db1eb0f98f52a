"""The revocation list across processes: each process keeps the live entries in memory;
news reaches the others through Redis at once, or through the table at the next poll."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
import redis
from sqlalchemy import Engine

from auth.revocations import Revocations, channel_of, client_key, token_key
from tests.auth.oauth_fixtures import Clock
from tests.services import REDIS_URL, unreachable

#: How long a test waits for a message to cross Redis before it fails (not a timing
#: assertion: the message normally arrives in milliseconds).
DELIVERY_DEADLINE_S = 10.0


def _eventually(condition: object) -> bool:
    deadline = time.monotonic() + DELIVERY_DEADLINE_S
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return True
        time.sleep(0.01)
    return False


def test_an_entry_counts_until_it_expires(database: Engine) -> None:
    clock = Clock()
    revocations = Revocations(database, clock=clock, poll_s=0)
    revocations.revoke([(token_key("t1"), int(clock()) + 60)])
    assert revocations.is_revoked("t1", "lw-a")
    assert not revocations.is_revoked("t2", "lw-a")
    clock.now += 61
    assert not revocations.is_revoked("t1", "lw-a")
    assert revocations.purge() == 1


def test_a_revoked_client_revokes_all_its_tokens(database: Engine) -> None:
    clock = Clock()
    revocations = Revocations(database, clock=clock, poll_s=0)
    revocations.revoke([(client_key("lw-a"), int(clock()) + 60)])
    assert revocations.is_revoked("any", "lw-a")
    assert not revocations.is_revoked("any", "lw-b")


def test_without_redis_another_process_reads_the_table(database: Engine) -> None:
    clock = Clock()
    writer = Revocations(database, clock=clock)
    reader = Revocations(database, clock=clock, poll_s=1.0)
    assert not reader.is_revoked("t1", "lw-a")  # read now
    writer.revoke([(token_key("t1"), int(clock()) + 60)])
    assert not reader.is_revoked("t1", "lw-a")  # its copy is not a second old yet
    clock.now += 1
    assert reader.is_revoked("t1", "lw-a")
    writer.revoke([(token_key("t1"), int(clock()) + 600)])  # twice: the first one stays
    assert reader.is_revoked("t1", "lw-a")


@pytest.fixture
def redis_client() -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis.RedisError as exc:
        unreachable("Redis", REDIS_URL, exc)
    yield client
    client.close()


@pytest.mark.redis
def test_with_redis_another_process_knows_at_once(database: Engine,
                                                   redis_client: redis.Redis) -> None:
    clock = Clock(now=time.time())
    writer = Revocations(database, redis=redis_client, clock=clock)
    reader = Revocations(database, redis=redis.Redis.from_url(REDIS_URL), clock=clock,
                         poll_s=3600, resync_s=3600)
    reader.start()
    try:
        assert reader.wait_listening(DELIVERY_DEADLINE_S)
        assert not reader.is_revoked("t1", "lw-a")
        writer.revoke([(token_key("t1"), int(clock()) + 60)])
        # No poll can have happened (the clock stands still, polls are an hour apart):
        # only the message can have told the reader.
        assert _eventually(lambda: reader.is_revoked("t1", "lw-a"))
    finally:
        reader.close()
    assert not reader.listening


@pytest.mark.redis
def test_a_malformed_message_is_ignored(database: Engine, redis_client: redis.Redis) -> None:
    clock = Clock(now=time.time())
    reader = Revocations(database, redis=redis.Redis.from_url(REDIS_URL), clock=clock,
                         poll_s=3600, resync_s=3600)
    reader.start()
    try:
        assert reader.wait_listening(DELIVERY_DEADLINE_S)
        redis_client.publish(reader.channel, "not json")
        redis_client.publish(reader.channel, f'[["jti:t9", {int(clock()) + 60}]]')
        assert _eventually(lambda: reader.is_revoked("t9", "lw-a"))
    finally:
        reader.close()


@pytest.mark.redis
def test_another_redis_database_hears_nothing(database: Engine,
                                              redis_client: redis.Redis) -> None:
    """Channels are server-wide; the revocations of one database stay there."""
    database_number = redis_client.connection_pool.connection_kwargs.get("db", 0)
    other = redis.Redis.from_url(REDIS_URL.rsplit("/", 1)[0] + f"/{(database_number + 1) % 16}")
    assert channel_of(other) != channel_of(redis_client)
    other.close()


@pytest.mark.redis
def test_what_was_revoked_before_a_process_started_is_known(
        database: Engine, redis_client: redis.Redis) -> None:
    clock = Clock(now=time.time())
    Revocations(database, redis=redis_client, clock=clock).revoke(
        [(token_key("early"), int(clock()) + 60)])
    late = Revocations(database, redis=redis.Redis.from_url(REDIS_URL), clock=clock,
                       poll_s=3600, resync_s=3600)
    late.start()
    try:
        assert late.is_revoked("early", "lw-a")
    finally:
        late.close()
