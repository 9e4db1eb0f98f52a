"""The API's token verifier: every token that must not pass is refused with a message
naming what is wrong and never echoing the token; key rotation never breaks a live token."""

from __future__ import annotations

import asyncio
import base64
import json
from typing import Any

import pytest
from joserfc import jws
from joserfc.jwk import RSAKey
from sqlalchemy import Engine

from auth.access_tokens import AccessTokenVerifier, new_token_id, sign_access_token
from auth.authorization_server import rotation_overlap_s
from auth.errors import InvalidToken
from auth.principal import Role
from auth.revocations import Revocations, token_key
from auth.signing_keys import SigningKey, SigningKeyStore
from tests.auth.oauth_fixtures import ACCESS_TTL_S, AUDIENCE, ISSUER, Clock


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def keys(database: Engine, clock: Clock) -> SigningKeyStore:
    return SigningKeyStore(database, clock=clock)


@pytest.fixture
def revocations(database: Engine, clock: Clock) -> Revocations:
    return Revocations(database, clock=clock, poll_s=0)


@pytest.fixture
def verifier(keys: SigningKeyStore, revocations: Revocations,
             clock: Clock) -> AccessTokenVerifier:
    return AccessTokenVerifier(keys.published, revocations, issuer=ISSUER, audience=AUDIENCE,
                               clock=clock)


def _claims(clock: Clock, **changes: Any) -> dict[str, Any]:
    now = int(clock())
    claims = {"iss": ISSUER, "sub": "user:ana", "aud": AUDIENCE, "exp": now + ACCESS_TTL_S,
              "iat": now, "jti": new_token_id(), "client_id": "lw-console",
              "scope": "portfolio:read personal:read", "role": "investigator"}
    claims.update(changes)
    return claims


def _verify(verifier: AccessTokenVerifier, token: str) -> Any:
    return asyncio.run(verifier.verify(token))


def _refused(verifier: AccessTokenVerifier, token: str, message: str) -> None:
    with pytest.raises(InvalidToken) as caught:
        _verify(verifier, token)
    assert str(caught.value) == message
    assert caught.value.error == "invalid_token"
    assert token not in str(caught.value)


def test_a_good_token_gives_its_principal(verifier: AccessTokenVerifier,
                                          keys: SigningKeyStore, clock: Clock) -> None:
    claims = _claims(clock)
    principal = _verify(verifier, sign_access_token(keys.active(), claims))
    assert principal.subject == "user:ana" and principal.user == "ana"
    assert principal.role is Role.INVESTIGATOR and principal.token_id == claims["jti"]
    assert principal.scopes == frozenset({"portfolio:read", "personal:read"})
    assert int(principal.expires_at.timestamp()) == claims["exp"]


def test_an_expired_token_is_refused(verifier: AccessTokenVerifier, keys: SigningKeyStore,
                                     clock: Clock) -> None:
    token = sign_access_token(keys.active(), _claims(clock))
    clock.now += ACCESS_TTL_S + 31
    _refused(verifier, token, "the access token has expired")


def test_a_revoked_token_is_refused(verifier: AccessTokenVerifier, keys: SigningKeyStore,
                                    revocations: Revocations, clock: Clock) -> None:
    claims = _claims(clock)
    token = sign_access_token(keys.active(), claims)
    revocations.revoke([(token_key(claims["jti"]), claims["exp"])])
    _refused(verifier, token, "the access token has been revoked")


def test_a_token_verified_before_is_still_refused_once_revoked_or_expired(
        verifier: AccessTokenVerifier, keys: SigningKeyStore, revocations: Revocations,
        clock: Clock) -> None:
    """The verifier keeps tokens it has checked; the cache never outlives a revocation or
    the token's expiry."""
    revoked, expiring = _claims(clock), _claims(clock)
    revoked_token = sign_access_token(keys.active(), revoked)
    expiring_token = sign_access_token(keys.active(), expiring)
    assert _verify(verifier, revoked_token).token_id == revoked["jti"]
    assert _verify(verifier, revoked_token) == _verify(verifier, revoked_token)
    assert _verify(verifier, expiring_token).token_id == expiring["jti"]

    revocations.revoke([(token_key(revoked["jti"]), revoked["exp"])])
    _refused(verifier, revoked_token, "the access token has been revoked")
    clock.now += ACCESS_TTL_S + 31
    _refused(verifier, expiring_token, "the access token has expired")


def test_a_token_signed_by_an_unknown_key_is_refused(verifier: AccessTokenVerifier,
                                                     keys: SigningKeyStore,
                                                     clock: Clock) -> None:
    keys.active()
    stranger = RSAKey.generate_key(2048)
    header = {"alg": "RS256", "typ": "at+jwt", "kid": stranger.thumbprint()}
    token = jws.serialize_compact(header, json.dumps(_claims(clock)).encode(), stranger)
    _refused(verifier, token, "the access token is signed by an unknown key")
    # The same key id as the real key, another key: the signature does not verify.
    header["kid"] = keys.active().kid
    forged = jws.serialize_compact(header, json.dumps(_claims(clock)).encode(), stranger)
    _refused(verifier, forged, "the access token's signature does not verify")


def test_a_token_for_another_audience_is_refused(verifier: AccessTokenVerifier,
                                                 keys: SigningKeyStore, clock: Clock) -> None:
    token = sign_access_token(keys.active(), _claims(clock, aud="another-api"))
    _refused(verifier, token, "the access token is meant for another audience")
    both = sign_access_token(keys.active(), _claims(clock, aud=["another-api", AUDIENCE]))
    assert _verify(verifier, both).user == "ana"


def test_a_token_of_another_issuer_is_refused(verifier: AccessTokenVerifier,
                                              keys: SigningKeyStore, clock: Clock) -> None:
    token = sign_access_token(keys.active(), _claims(clock, iss="https://elsewhere.example"))
    _refused(verifier, token, "the access token was issued by another issuer")


def test_a_token_from_the_future_is_refused(verifier: AccessTokenVerifier,
                                            keys: SigningKeyStore, clock: Clock) -> None:
    token = sign_access_token(keys.active(), _claims(clock, iat=int(clock()) + 3600))
    _refused(verifier, token, "the access token is not valid yet")


def test_malformed_tokens_are_refused(verifier: AccessTokenVerifier, keys: SigningKeyStore,
                                     clock: Clock) -> None:
    _refused(verifier, "not-a-jwt", "the access token is malformed: not a signed JWT")
    _refused(verifier, "%%%.b.c", "the access token is malformed: its header is not JSON")
    key = keys.active()
    unsigned = base64.urlsafe_b64encode(json.dumps(
        {"alg": "none", "typ": "at+jwt", "kid": key.kid}).encode()).decode().rstrip("=")
    _refused(verifier, unsigned + ".e30.", "the access token is not signed with RS256")
    id_token = jws.serialize_compact({"alg": "RS256", "typ": "JWT", "kid": key.kid},
                                     json.dumps(_claims(clock)).encode(), key.private_key())
    _refused(verifier, id_token, "the token is not an access token (typ at+jwt)")
    no_role = _claims(clock)
    del no_role["role"]
    _refused(verifier, sign_access_token(key, no_role),
             "the access token has no valid 'role' claim")


def test_rotation_keeps_live_tokens_valid_and_signs_with_the_new_key(
        verifier: AccessTokenVerifier, keys: SigningKeyStore, clock: Clock) -> None:
    old = keys.active()
    before = sign_access_token(old, _claims(clock))
    _verify(verifier, before)
    clock.now += 5
    new = keys.rotate(keep_published_s=rotation_overlap_s(ACCESS_TTL_S))
    assert new.kid != old.kid and keys.active().kid == new.kid
    after = sign_access_token(new, _claims(clock))
    assert _verify(verifier, after).user == "ana"  # a key made elsewhere is picked up
    clock.now += ACCESS_TTL_S - 10
    assert _verify(verifier, before).user == "ana"  # the old token lives its life
    assert {k.kid for k in keys.published()} == {old.kid, new.kid}
    clock.now += rotation_overlap_s(ACCESS_TTL_S)
    assert [k.kid for k in keys.published()] == [new.kid]
    _refused(verifier, sign_access_token(old, _claims(clock)),
             "the access token is signed by an unknown key")


def test_made_up_key_ids_do_not_reload_the_keys_each_time(keys: SigningKeyStore,
                                                          revocations: Revocations,
                                                          clock: Clock) -> None:
    loads: list[int] = []

    def published() -> list[SigningKey]:
        loads.append(1)
        return keys.published()

    verifier = AccessTokenVerifier(published, revocations, issuer=ISSUER, audience=AUDIENCE,
                                   clock=clock)
    key = keys.active()
    _verify(verifier, sign_access_token(key, _claims(clock)))
    stranger = RSAKey.generate_key(2048)
    for n in range(5):
        header = {"alg": "RS256", "typ": "at+jwt", "kid": f"made-up-{n}"}
        token = jws.serialize_compact(header, json.dumps(_claims(clock)).encode(), stranger)
        _refused(verifier, token, "the access token is signed by an unknown key")
    assert len(loads) == 1  # the clock stood still: no reload within the second
