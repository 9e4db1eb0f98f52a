"""Refresh tokens rotate at each use; a used one presented again revokes the whole family
and the access tokens issued with it."""

from __future__ import annotations

import asyncio

import pytest

from auth.audit_events import AuditAction
from auth.errors import InvalidToken
from tests.auth.oauth_fixtures import REFRESH_TTL_S, OAuthWorld, pkce_pair

REDIRECT = "http://127.0.0.1:3000/callback"


def _signed_in(world: OAuthWorld) -> tuple[str, dict[str, str]]:
    client_id, _ = world.front_end(public=True)
    login, password = world.user()
    verifier, challenge = pkce_pair()
    query = {"response_type": "code", "client_id": client_id, "redirect_uri": REDIRECT,
             "scope": "portfolio:read personal:read", "code_challenge": challenge,
             "code_challenge_method": "S256"}
    code = world.http.code_from(world.http.sign_in(query, login, password))
    tokens = world.http.token({"grant_type": "authorization_code", "code": code,
                               "redirect_uri": REDIRECT, "client_id": client_id,
                               "code_verifier": verifier})
    assert tokens.status_code == 200, tokens.text
    return client_id, tokens.json()


def _refresh(world: OAuthWorld, client_id: str, token: str, **extra: str):
    return world.http.token({"grant_type": "refresh_token", "refresh_token": token,
                             "client_id": client_id, **extra})


def test_a_refresh_token_is_rotated(world: OAuthWorld) -> None:
    client_id, first = _signed_in(world)
    response = _refresh(world, client_id, first["refresh_token"])
    assert response.status_code == 200, response.text
    second = response.json()
    assert second["refresh_token"] != first["refresh_token"]
    assert second["access_token"] != first["access_token"]
    principal = asyncio.run(world.server.verifier.verify(second["access_token"]))
    assert principal.user == "ana"
    third = _refresh(world, client_id, second["refresh_token"])
    assert third.status_code == 200


def test_a_refresh_token_used_twice_revokes_its_family(world: OAuthWorld) -> None:
    client_id, first = _signed_in(world)
    second = _refresh(world, client_id, first["refresh_token"]).json()
    reused = _refresh(world, client_id, first["refresh_token"])
    assert reused.status_code == 400
    assert reused.json() == {
        "error": "invalid_grant",
        "error_description": "the refresh token was already used: every token of this "
                             "sign-in is revoked; sign in again"}
    # The newer refresh token (held by the thief or the owner) is dead too ...
    after = _refresh(world, client_id, second["refresh_token"])
    assert after.status_code == 400 and after.json()["error"] == "invalid_grant"
    # ... and so are the access tokens of the family, at once.
    for access in (first["access_token"], second["access_token"]):
        with pytest.raises(InvalidToken, match="has been revoked"):
            asyncio.run(world.server.verifier.verify(access))
    assert "refresh-token-reused" in world.audit.outcomes(AuditAction.TOKEN)


def test_another_sign_in_is_not_touched_by_a_reuse(world: OAuthWorld) -> None:
    client_id, first = _signed_in(world)
    login_again = world.server.refresh_tokens.find(first["refresh_token"])
    assert login_again is not None
    other = world.server.refresh_tokens.issue(
        client_id=client_id, user_login="ana", scope="portfolio:read", ttl_s=60,
        access_jti="other-jti", access_expires_at=int(world.clock.now) + 60)
    _refresh(world, client_id, first["refresh_token"])
    _refresh(world, client_id, first["refresh_token"])
    assert _refresh(world, client_id, other).status_code == 200


def test_another_clients_refresh_token_is_refused(world: OAuthWorld) -> None:
    _, first = _signed_in(world)
    other_client, _ = world.front_end(public=True, redirect_uri="http://127.0.0.1:4000/cb")
    response = _refresh(world, other_client, first["refresh_token"])
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"


def test_an_expired_refresh_token_is_refused(world: OAuthWorld) -> None:
    client_id, first = _signed_in(world)
    world.clock.now += REFRESH_TTL_S + 1
    response = _refresh(world, client_id, first["refresh_token"])
    assert response.status_code == 400
    assert response.json() == {"error": "invalid_grant",
                               "error_description": "the refresh token has expired; sign in "
                                                    "again"}


def test_a_refresh_may_narrow_the_scope_never_widen_it(world: OAuthWorld) -> None:
    client_id, first = _signed_in(world)
    wider = _refresh(world, client_id, first["refresh_token"], scope="portfolio:read admin")
    assert wider.status_code == 400 and wider.json()["error"] == "invalid_scope"
    narrower = _refresh(world, client_id, first["refresh_token"], scope="portfolio:read")
    assert narrower.status_code == 200, narrower.text
    assert narrower.json()["scope"] == "portfolio:read"


def test_an_unknown_refresh_token_is_refused(world: OAuthWorld) -> None:
    client_id, _ = _signed_in(world)
    response = _refresh(world, client_id, "made-up")
    assert response.status_code == 400
    assert response.json()["error_description"] == "the refresh token is unknown"
