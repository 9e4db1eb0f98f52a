"""The client-credentials grant: an integration gets a JWT access token the API accepts,
and every wrong request gets the RFC 6749 error, with nothing stored."""

from __future__ import annotations

import asyncio

from auth.audit_events import AuditAction
from auth.principal import Right, Role
from tests.auth.oauth_fixtures import ACCESS_TTL_S, AUDIENCE, ISSUER, OAuthWorld


def test_an_integration_gets_a_token_the_verifier_accepts(world: OAuthWorld) -> None:
    client_id, secret = world.integration("portfolio:read personal:read")
    response = world.http.token({"grant_type": "client_credentials"}, auth=(client_id, secret))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == ACCESS_TTL_S
    assert body["scope"] == "portfolio:read personal:read"
    assert "refresh_token" not in body
    assert response.headers["cache-control"] == "no-store"
    principal = asyncio.run(world.server.verifier.verify(body["access_token"]))
    assert principal.subject == f"client:{client_id}"
    assert principal.client_id == client_id
    assert principal.role is Role.INTEGRATION
    assert principal.user is None
    assert principal.may(Right.READ_PERSONAL) and not principal.may(Right.WRITE_RECORDS)
    claims = world.server.verifier.claims(body["access_token"])
    assert claims["iss"] == ISSUER and claims["aud"] == AUDIENCE
    assert claims["exp"] - claims["iat"] == ACCESS_TTL_S
    [event] = world.audit.of(AuditAction.TOKEN)
    assert event.client_id == client_id and event.source == "127.0.0.1"
    assert event.detail["outcome"] == "issued"
    assert event.detail["grant_type"] == "client_credentials"
    assert event.operation == "POST /oauth/token"


def test_the_secret_may_come_in_the_form_body(world: OAuthWorld) -> None:
    client_id, secret = world.integration()
    response = world.http.token({"grant_type": "client_credentials", "client_id": client_id,
                                 "client_secret": secret, "scope": "portfolio:read"})
    assert response.status_code == 200, response.text
    assert response.json()["scope"] == "portfolio:read"


def test_a_scope_the_client_was_not_given_is_refused(world: OAuthWorld) -> None:
    client_id, secret = world.integration("portfolio:read")
    response = world.http.token({"grant_type": "client_credentials",
                                 "scope": "portfolio:read admin"}, auth=(client_id, secret))
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_scope"
    assert world.audit.of(AuditAction.TOKEN) == []


def test_a_wrong_secret_is_invalid_client_and_leaks_nothing(world: OAuthWorld) -> None:
    client_id, secret = world.integration()
    response = world.http.token({"grant_type": "client_credentials"},
                                auth=(client_id, secret + "x"))
    assert response.status_code == 401
    body = response.json()
    assert body["error"] == "invalid_client"
    assert secret not in response.text and "Traceback" not in response.text
    assert world.audit.outcomes(AuditAction.TOKEN) == ["client-authentication-failed"]


def test_an_unknown_client_is_invalid_client(world: OAuthWorld) -> None:
    response = world.http.token({"grant_type": "client_credentials"},
                                auth=("lw-nobody", "whatever"))
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"


def test_a_public_client_cannot_use_client_credentials(world: OAuthWorld) -> None:
    client_id, _ = world.front_end(public=True)
    response = world.http.token({"grant_type": "client_credentials", "client_id": client_id})
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"


def test_an_unknown_grant_type_is_named(world: OAuthWorld) -> None:
    client_id, secret = world.integration()
    response = world.http.token({"grant_type": "password", "username": "a", "password": "b"},
                                auth=(client_id, secret))
    assert response.status_code == 400
    assert response.json()["error"] == "unsupported_grant_type"


def test_a_json_body_is_refused_with_what_to_send(world: OAuthWorld) -> None:
    response = world.http.request("POST", "/oauth/token",
                                  json={"grant_type": "client_credentials"})
    assert response.status_code == 400
    assert response.json() == {
        "error": "invalid_request",
        "error_description": "send the parameters as application/x-www-form-urlencoded "
                             "(RFC 6749)"}


def test_a_huge_body_is_refused(world: OAuthWorld) -> None:
    response = world.http.token({"grant_type": "client_credentials", "pad": "x" * 20_000})
    assert response.status_code == 413


def test_get_is_not_allowed_on_the_token_endpoint(world: OAuthWorld) -> None:
    assert world.http.request("GET", "/oauth/token").status_code == 405


def test_a_revoked_client_gets_no_token_and_its_tokens_stop_working(world: OAuthWorld) -> None:
    client_id, secret = world.integration()
    token = world.http.token({"grant_type": "client_credentials"},
                             auth=(client_id, secret)).json()["access_token"]
    asyncio.run(world.server.verifier.verify(token))
    world.server.revoke_client(client_id, actor="ops")
    response = world.http.token({"grant_type": "client_credentials"}, auth=(client_id, secret))
    assert response.status_code == 401 and response.json()["error"] == "invalid_client"
    try:
        asyncio.run(world.server.verifier.verify(token))
    except Exception as exc:
        assert type(exc).__name__ == "InvalidToken"
        assert str(exc) == "the access token has been revoked"
    else:
        raise AssertionError("a revoked client's token was accepted")
    [event] = world.audit.of(AuditAction.ADMINISTRATION)
    assert event.operation == "clients revoke" and event.targets == (client_id,)
    assert event.user == "ops"
