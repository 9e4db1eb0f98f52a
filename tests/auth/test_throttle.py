"""Wrong client secrets and passwords are throttled per source address, never per client
or login: a partner calling from elsewhere is never locked out by someone guessing."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from limits.storage import storage_from_string

from auth.audit_events import AuditAction
from auth.throttle import Attempt, FailureThrottle
from tests.auth.oauth_fixtures import OAuthWorld, pkce_pair
from tests.services import REDIS_URL, unreachable

ATTACKER = "203.0.113.9"
PARTNER = "198.51.100.4"
LIMIT = 5  # tests.auth.oauth_fixtures.FAILURE_LIMIT


def test_a_secret_guessed_wrong_many_times_is_throttled_per_source(world: OAuthWorld) -> None:
    client_id, secret = world.integration()
    data = {"grant_type": "client_credentials"}
    for _ in range(LIMIT):
        wrong = world.http.token(data, auth=(client_id, "guess"), source=ATTACKER)
        assert wrong.status_code == 401
    throttled = world.http.token(data, auth=(client_id, "guess"), source=ATTACKER)
    assert throttled.status_code == 429
    body = throttled.json()
    assert body["error"] == "too_many_requests"
    assert body["error_description"].startswith("too many wrong client credentials from "
                                                "this address; try again in ")
    assert 1 <= int(throttled.headers["retry-after"]) <= 300
    # Even the right secret waits, from that address ...
    assert world.http.token(data, auth=(client_id, secret), source=ATTACKER).status_code == 429
    # ... while the partner, calling from its own address, is not locked out.
    assert world.http.token(data, auth=(client_id, secret), source=PARTNER).status_code == 200
    failures = world.audit.outcomes(AuditAction.TOKEN).count("client-authentication-failed")
    assert failures == LIMIT


def test_passwords_guessed_wrong_are_throttled_per_source(world: OAuthWorld) -> None:
    client_id, _ = world.front_end(public=True)
    login, password = world.user()
    _, challenge = pkce_pair()
    query = {"response_type": "code", "client_id": client_id,
             "redirect_uri": "http://127.0.0.1:3000/callback", "code_challenge": challenge,
             "code_challenge_method": "S256"}
    for _ in range(LIMIT):
        assert world.http.sign_in(query, login, "guess", source=ATTACKER).status_code == 401
    throttled = world.http.sign_in(query, login, password, source=ATTACKER)
    assert throttled.status_code == 429
    assert "too many wrong passwords from this address" in throttled.text
    assert throttled.headers["retry-after"]
    assert world.http.sign_in(query, login, password, source=PARTNER).status_code == 302
    assert world.audit.outcomes(AuditAction.LOGIN) == ["failed"] * LIMIT + ["throttled", "ok"]


@pytest.fixture
def redis_storage() -> Iterator[object]:
    storage = storage_from_string(REDIS_URL)
    try:
        storage.reset()
    except Exception as exc:
        unreachable("Redis", REDIS_URL, exc)
    yield storage
    storage.reset()


@pytest.mark.redis
def test_processes_share_the_counts_through_redis(redis_storage: object) -> None:
    one = FailureThrottle(redis_storage, limit="3 per minute")  # type: ignore[arg-type]
    other = FailureThrottle(storage_from_string(REDIS_URL), limit="3 per minute")
    for _ in range(3):
        one.failed(Attempt.PASSWORD, ATTACKER)
    assert other.retry_after(Attempt.PASSWORD, ATTACKER) is not None
    assert other.retry_after(Attempt.PASSWORD, PARTNER) is None
    assert other.retry_after(Attempt.CLIENT_SECRET, ATTACKER) is None
