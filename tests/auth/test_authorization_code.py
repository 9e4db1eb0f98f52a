"""The authorization-code grant with PKCE: the login page, the code, the token; and every
way a request can be wrong (PKCE, redirect URI, CSRF, password)."""

from __future__ import annotations

import asyncio
from urllib.parse import parse_qs, urlsplit

from api.oauth.routes import DEMO_CALLBACK_PATH
from auth.audit_events import AuditAction
from auth.principal import Right, Role
from tests.auth.oauth_fixtures import ISSUER, OAuthWorld, pkce_pair

REDIRECT = "http://127.0.0.1:3000/callback"


def _query(client_id: str, challenge: str | None, **extra: str) -> dict[str, str]:
    query = {"response_type": "code", "client_id": client_id, "redirect_uri": REDIRECT,
             "scope": "portfolio:read personal:read", "state": "s-123"}
    if challenge is not None:
        query.update(code_challenge=challenge, code_challenge_method="S256")
    query.update(extra)
    return query


def test_a_user_signs_in_and_the_front_end_gets_tokens(world: OAuthWorld) -> None:
    client_id, _ = world.front_end(public=True)
    login, password = world.user("ana", Role.INVESTIGATOR)
    verifier, challenge = pkce_pair()
    page = world.http.request("GET", "/oauth/authorize", params=_query(client_id, challenge))
    assert page.status_code == 200
    assert "risk console" in page.text and 'name=csrf_token' in page.text
    assert page.headers["x-frame-options"] == "DENY"
    assert "samesite=strict" in page.headers["set-cookie"].lower()
    response = world.http.sign_in(_query(client_id, challenge), login, password)
    location = urlsplit(response.headers["location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == REDIRECT
    assert parse_qs(location.query)["state"] == ["s-123"]
    code = world.http.code_from(response)
    tokens = world.http.token({"grant_type": "authorization_code", "code": code,
                               "redirect_uri": REDIRECT, "client_id": client_id,
                               "code_verifier": verifier})
    assert tokens.status_code == 200, tokens.text
    body = tokens.json()
    assert body["refresh_token"]
    principal = asyncio.run(world.server.verifier.verify(body["access_token"]))
    assert principal.subject == "user:ana" and principal.user == "ana"
    assert principal.role is Role.INVESTIGATOR and principal.client_id == client_id
    assert principal.may(Right.READ_PERSONAL)
    assert world.audit.outcomes(AuditAction.LOGIN) == ["ok"]
    [issued] = world.audit.of(AuditAction.TOKEN)
    assert issued.user == "ana" and issued.detail["grant_type"] == "authorization_code"


def test_the_code_is_good_once(world: OAuthWorld) -> None:
    client_id, _ = world.front_end(public=True)
    login, password = world.user()
    verifier, challenge = pkce_pair()
    code = world.http.code_from(world.http.sign_in(_query(client_id, challenge), login,
                                                   password))
    exchange = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT,
                "client_id": client_id, "code_verifier": verifier}
    assert world.http.token(exchange).status_code == 200
    again = world.http.token(exchange)
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"


def test_a_pkce_verifier_mismatch_is_invalid_grant(world: OAuthWorld) -> None:
    client_id, _ = world.front_end(public=True)
    login, password = world.user()
    _, challenge = pkce_pair()
    other_verifier, _ = pkce_pair()
    code = world.http.code_from(world.http.sign_in(_query(client_id, challenge), login,
                                                   password))
    response = world.http.token({"grant_type": "authorization_code", "code": code,
                                 "redirect_uri": REDIRECT, "client_id": client_id,
                                 "code_verifier": other_verifier})
    assert response.status_code == 400
    assert response.json() == {"error": "invalid_grant",
                               "error_description": "Code challenge failed."}
    assert world.audit.of(AuditAction.TOKEN) == []
    assert world.server.codes.count() == 0  # the code is spent, right or wrong


def test_a_missing_verifier_is_refused(world: OAuthWorld) -> None:
    client_id, _ = world.front_end(public=True)
    login, password = world.user()
    _, challenge = pkce_pair()
    code = world.http.code_from(world.http.sign_in(_query(client_id, challenge), login,
                                                   password))
    response = world.http.token({"grant_type": "authorization_code", "code": code,
                                 "redirect_uri": REDIRECT, "client_id": client_id})
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"


def test_a_public_client_without_pkce_is_sent_back_an_error(world: OAuthWorld) -> None:
    client_id, _ = world.front_end(public=True)
    response = world.http.request("GET", "/oauth/authorize", params=_query(client_id, None))
    assert response.status_code == 302
    location = urlsplit(response.headers["location"])
    error = parse_qs(location.query)
    assert error["error"] == ["invalid_request"]
    assert error["error_description"] == [
        "a public client must use PKCE: send code_challenge and code_challenge_method=S256"]
    assert error["state"] == ["s-123"]


def test_the_plain_pkce_method_is_refused(world: OAuthWorld) -> None:
    client_id, _ = world.front_end(public=True)
    verifier, _ = pkce_pair()
    query = _query(client_id, None, code_challenge=verifier, code_challenge_method="plain")
    response = world.http.request("GET", "/oauth/authorize", params=query)
    assert response.status_code == 302
    assert "S256" in parse_qs(urlsplit(response.headers["location"]).query)[
        "error_description"][0]


def test_an_unregistered_redirect_uri_gets_a_page_never_a_redirect(world: OAuthWorld) -> None:
    client_id, _ = world.front_end(public=True)
    _, challenge = pkce_pair()
    for uri in ("https://evil.example/cb", REDIRECT + "/", REDIRECT + "?x=1"):
        response = world.http.request("GET", "/oauth/authorize",
                                      params=_query(client_id, challenge, redirect_uri=uri))
        assert response.status_code == 400, uri
        assert "location" not in response.headers
        assert "is not supported by client" in response.text
        assert "Traceback" not in response.text


def test_an_unknown_client_gets_a_page(world: OAuthWorld) -> None:
    _, challenge = pkce_pair()
    response = world.http.request("GET", "/oauth/authorize",
                                  params=_query("lw-nobody", challenge))
    assert response.status_code in {400, 401}
    assert "location" not in response.headers
    assert "invalid_client" in response.text


def test_a_post_without_the_csrf_cookie_is_refused(world: OAuthWorld) -> None:
    client_id, _ = world.front_end(public=True)
    login, password = world.user()
    _, challenge = pkce_pair()
    response = world.http.request("POST", "/oauth/authorize", params=_query(client_id, challenge),
                                  data={"csrf_token": "forged", "login": login,
                                        "password": password})
    assert response.status_code == 403
    assert "did not come from this page" in response.text
    assert world.audit.of(AuditAction.LOGIN) == []
    assert world.server.codes.count() == 0


def test_a_wrong_password_shows_the_form_again(world: OAuthWorld) -> None:
    client_id, _ = world.front_end(public=True)
    login, password = world.user()
    _, challenge = pkce_pair()
    response = world.http.sign_in(_query(client_id, challenge), login, "not the password")
    assert response.status_code == 401
    assert "wrong login or password" in response.text
    assert "not the password" not in response.text
    unknown = world.http.sign_in(_query(client_id, challenge), "nobody", password)
    assert unknown.status_code == 401 and "wrong login or password" in unknown.text
    assert world.audit.outcomes(AuditAction.LOGIN) == ["failed", "failed"]
    assert world.server.codes.count() == 0


def test_a_confidential_front_end_authenticates_at_the_token_endpoint(world: OAuthWorld) -> None:
    client_id, secret = world.front_end(public=False)
    assert secret is not None
    login, password = world.user("bo", Role.ANALYST)
    code = world.http.code_from(world.http.sign_in(_query(client_id, None), login, password))
    no_secret = world.http.token({"grant_type": "authorization_code", "code": code,
                                  "redirect_uri": REDIRECT, "client_id": client_id})
    assert no_secret.status_code == 401 and no_secret.json()["error"] == "invalid_client"
    code = world.http.code_from(world.http.sign_in(_query(client_id, None), login, password))
    response = world.http.token({"grant_type": "authorization_code", "code": code,
                                 "redirect_uri": REDIRECT}, auth=(client_id, secret))
    assert response.status_code == 200, response.text
    principal = asyncio.run(world.server.verifier.verify(response.json()["access_token"]))
    assert principal.role is Role.ANALYST and not principal.may(Right.READ_PERSONAL)


def test_a_code_exchanged_with_another_redirect_uri_is_refused(world: OAuthWorld) -> None:
    client_id, _ = world.front_end(public=True)
    login, password = world.user()
    verifier, challenge = pkce_pair()
    code = world.http.code_from(world.http.sign_in(_query(client_id, challenge), login,
                                                   password))
    response = world.http.token({"grant_type": "authorization_code", "code": code,
                                 "redirect_uri": "http://127.0.0.1:3000/other",
                                 "client_id": client_id, "code_verifier": verifier})
    assert response.status_code == 400 and response.json()["error"] == "invalid_grant"


def test_an_expired_code_is_refused(world: OAuthWorld) -> None:
    client_id, _ = world.front_end(public=True)
    login, password = world.user()
    verifier, challenge = pkce_pair()
    code = world.http.code_from(world.http.sign_in(_query(client_id, challenge), login,
                                                   password))
    world.clock.now += 600
    response = world.http.token({"grant_type": "authorization_code", "code": code,
                                 "redirect_uri": REDIRECT, "client_id": client_id,
                                 "code_verifier": verifier})
    assert response.status_code == 400 and response.json()["error"] == "invalid_grant"


def test_the_demo_callback_page_shows_the_code_and_how_to_exchange_it(
        world: OAuthWorld) -> None:
    """A sign-in through a client whose redirect URI is the demo's landing page ends on a
    page that a person can use: the code, and the curl line that exchanges it."""
    landing = f"{ISSUER}{DEMO_CALLBACK_PATH}"
    client_id, secret = world.front_end(public=False, redirect_uri=landing)
    assert secret is not None
    login, password = world.user("cy", Role.ANALYST)
    query = {**_query(client_id, None), "redirect_uri": landing}
    code = world.http.code_from(world.http.sign_in(query, login, password))

    page = world.http.request("GET", DEMO_CALLBACK_PATH, params={"code": code})
    assert page.status_code == 200
    assert f"-d code={code} -d redirect_uri={landing} {ISSUER}/oauth/token" in page.text
    assert page.headers["x-frame-options"] == "DENY"
    exchanged = world.http.token({"grant_type": "authorization_code", "code": code,
                                  "redirect_uri": landing}, auth=(client_id, secret))
    assert exchanged.status_code == 200, exchanged.text

    # A code that is not one, or an error sent back instead, is never echoed as markup.
    forged = world.http.request("GET", DEMO_CALLBACK_PATH,
                                params={"code": "<script>alert(1)</script>"})
    assert forged.status_code == 400 and "<script>" not in forged.text
    denied = world.http.request("GET", DEMO_CALLBACK_PATH,
                                params={"error": "<b>access_denied</b>"})
    assert denied.status_code == 400 and "<b>" not in denied.text
