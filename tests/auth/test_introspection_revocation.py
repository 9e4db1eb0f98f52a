"""Introspection (RFC 7662), revocation (RFC 7009), metadata (RFC 8414) and the JWKS."""

from __future__ import annotations

import asyncio

import pytest
from authlib.oauth2.rfc8414 import AuthorizationServerMetadata
from joserfc import jwt
from joserfc.jwk import KeySet

from auth.audit_events import AuditAction
from auth.errors import InvalidToken
from auth.principal import SCOPES, Role
from tests.auth.oauth_fixtures import ISSUER, OAuthWorld


def _token(world: OAuthWorld, client_id: str, secret: str) -> str:
    response = world.http.token({"grant_type": "client_credentials"}, auth=(client_id, secret))
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


def test_a_client_introspects_its_own_token(world: OAuthWorld) -> None:
    client_id, secret = world.integration("portfolio:read")
    token = _token(world, client_id, secret)
    response = world.http.request("POST", "/oauth/introspect", data={"token": token},
                                  auth=(client_id, secret))
    assert response.status_code == 200
    body = response.json()
    assert body["active"] is True
    assert body["client_id"] == client_id and body["sub"] == f"client:{client_id}"
    assert body["scope"] == "portfolio:read" and body["iss"] == ISSUER
    assert body["role"] == "integration" and body["token_type"] == "Bearer"


def test_another_clients_token_is_inactive_unless_the_caller_is_admin(
        world: OAuthWorld) -> None:
    owner, owner_secret = world.integration()
    token = _token(world, owner, owner_secret)
    stranger, stranger_secret = world.integration()
    response = world.http.request("POST", "/oauth/introspect", data={"token": token},
                                  auth=(stranger, stranger_secret))
    assert response.json() == {"active": False}
    admin, admin_secret = world.integration("admin", role=Role.ADMIN)
    response = world.http.request("POST", "/oauth/introspect", data={"token": token},
                                  auth=(admin, admin_secret))
    assert response.json()["active"] is True


def test_garbage_and_expired_tokens_are_inactive(world: OAuthWorld) -> None:
    client_id, secret = world.integration()
    token = _token(world, client_id, secret)
    for value in ("garbage", "a.b.c", token[:-4] + "AAAA"):
        response = world.http.request("POST", "/oauth/introspect", data={"token": value},
                                      auth=(client_id, secret))
        assert response.status_code == 200 and response.json() == {"active": False}
    world.clock.now += 3600
    response = world.http.request("POST", "/oauth/introspect", data={"token": token},
                                  auth=(client_id, secret))
    assert response.json() == {"active": False}


def test_introspection_needs_client_authentication(world: OAuthWorld) -> None:
    response = world.http.request("POST", "/oauth/introspect", data={"token": "x"})
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"


def test_a_revoked_access_token_stops_working_at_once(world: OAuthWorld) -> None:
    client_id, secret = world.integration()
    token = _token(world, client_id, secret)
    other = _token(world, client_id, secret)
    response = world.http.request("POST", "/oauth/revoke",
                                  data={"token": token, "token_type_hint": "access_token"},
                                  auth=(client_id, secret))
    assert response.status_code == 200 and response.json() == {}
    with pytest.raises(InvalidToken, match=r"^the access token has been revoked$"):
        asyncio.run(world.server.verifier.verify(token))
    asyncio.run(world.server.verifier.verify(other))  # the client's other tokens live on
    introspected = world.http.request("POST", "/oauth/introspect", data={"token": token},
                                      auth=(client_id, secret))
    assert introspected.json() == {"active": False}
    assert world.audit.outcomes(AuditAction.TOKEN)[-1] == "revoked"


def test_revoking_an_unknown_token_is_not_an_error(world: OAuthWorld) -> None:
    client_id, secret = world.integration()
    response = world.http.request("POST", "/oauth/revoke", data={"token": "unknown"},
                                  auth=(client_id, secret))
    assert response.status_code == 200


def test_a_client_cannot_revoke_another_clients_token(world: OAuthWorld) -> None:
    owner, owner_secret = world.integration()
    token = _token(world, owner, owner_secret)
    stranger, stranger_secret = world.integration()
    response = world.http.request("POST", "/oauth/revoke", data={"token": token},
                                  auth=(stranger, stranger_secret))
    assert response.status_code == 400 and response.json()["error"] == "invalid_grant"
    asyncio.run(world.server.verifier.verify(token))


def test_the_metadata_describes_the_server(world: OAuthWorld) -> None:
    response = world.http.request("GET", "/.well-known/oauth-authorization-server")
    assert response.status_code == 200
    metadata = response.json()
    assert metadata["issuer"] == ISSUER
    assert metadata["token_endpoint"] == f"{ISSUER}/oauth/token"
    assert metadata["authorization_endpoint"] == f"{ISSUER}/oauth/authorize"
    assert metadata["jwks_uri"] == f"{ISSUER}/.well-known/jwks.json"
    assert metadata["introspection_endpoint"] == f"{ISSUER}/oauth/introspect"
    assert metadata["revocation_endpoint"] == f"{ISSUER}/oauth/revoke"
    assert metadata["code_challenge_methods_supported"] == ["S256"]
    assert metadata["scopes_supported"] == list(SCOPES)
    AuthorizationServerMetadata(metadata).validate()


def test_the_jwks_publishes_the_signing_key_without_its_private_part(
        world: OAuthWorld) -> None:
    client_id, secret = world.integration()
    token = _token(world, client_id, secret)
    keys = world.http.request("GET", "/.well-known/jwks.json").json()["keys"]
    [key] = keys
    assert key["kty"] == "RSA" and key["alg"] == "RS256" and key["use"] == "sig"
    assert not {"d", "p", "q", "dp", "dq", "qi"} & set(key)
    decoded = jwt.decode(token, KeySet.import_key_set({"keys": keys}), algorithms=["RS256"])
    assert decoded.header["kid"] == key["kid"] and decoded.header["typ"] == "at+jwt"
