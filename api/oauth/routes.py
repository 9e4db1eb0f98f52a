"""The OAuth 2.0 endpoints on Starlette.

==========================================  ==============================================
``POST /oauth/token``                        client credentials, authorization code (+PKCE),
                                             refresh token (RFC 6749)
``GET|POST /oauth/authorize``                the login page, then the redirect with the code
``POST /oauth/introspect``                   token introspection (RFC 7662)
``POST /oauth/revoke``                       token revocation (RFC 7009)
``GET /.well-known/oauth-authorization-server``  server metadata (RFC 8414)
``GET /.well-known/jwks.json``               the public signing keys (RFC 7517)
``GET /oauth/demo-callback``                 where the demo client's sign-ins land: the code
                                             and the curl line that exchanges it
==========================================  ==============================================

Authlib runs synchronously (it reads and writes the database), so each request's
protocol work runs in the thread pool, never on the event loop.
"""

from __future__ import annotations

import re
from typing import Final

from authlib.oauth2 import OAuth2Error
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from api.oauth.adapter import FormTooLarge, oauth_request, read_form, to_response
from api.oauth.login_page import (
    CSRF_COOKIE,
    CSRF_FIELD,
    code_page,
    csrf_ok,
    error_page,
    login_page,
    new_csrf,
)
from auth.authorization_server import OAuthServer, TooManyFailures
from auth.oauth_request import OAuthRequest

__all__ = ["AUTHORIZE_PATH", "DEMO_CALLBACK_PATH", "JWKS_PATH", "METADATA_PATH", "TOKEN_PATH",
           "oauth_routes"]

TOKEN_PATH: Final = "/oauth/token"
AUTHORIZE_PATH: Final = "/oauth/authorize"
INTROSPECT_PATH: Final = "/oauth/introspect"
REVOKE_PATH: Final = "/oauth/revoke"
METADATA_PATH: Final = "/.well-known/oauth-authorization-server"
JWKS_PATH: Final = "/.well-known/jwks.json"
#: The redirect URI of a client without a front end of its own (``make demo``'s).
DEMO_CALLBACK_PATH: Final = "/oauth/demo-callback"
#: What an authorization code looks like (Authlib's: URL-safe random characters).
_CODE: Final = re.compile(r"[A-Za-z0-9._~-]{1,256}")
_NO_STORE: Final = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def _oauth_error(status: int, error: str, description: str) -> JSONResponse:
    return JSONResponse({"error": error, "error_description": description},
                        status_code=status, headers=_NO_STORE)


class OAuthEndpoints:
    """The endpoints of ``server``; :meth:`routes` mounts them."""

    def __init__(self, server: OAuthServer) -> None:
        self.server = server
        self._issuer = server.settings.issuer
        self._secure_cookie = self._issuer.startswith("https://")

    def routes(self) -> list[Route]:
        return [
            Route(TOKEN_PATH, self.token, methods=["POST"], name="oauth-token"),
            Route(AUTHORIZE_PATH, self.authorize, methods=["GET", "POST"],
                  name="oauth-authorize"),
            Route(INTROSPECT_PATH, self.introspect, methods=["POST"], name="oauth-introspect"),
            Route(REVOKE_PATH, self.revoke, methods=["POST"], name="oauth-revoke"),
            Route(METADATA_PATH, self.metadata, methods=["GET"], name="oauth-metadata"),
            Route(JWKS_PATH, self.jwks, methods=["GET"], name="oauth-jwks"),
            Route(DEMO_CALLBACK_PATH, self.demo_callback, methods=["GET"],
                  name="oauth-demo-callback"),
        ]

    async def demo_callback(self, request: Request) -> Response:
        """The landing page of the demo client's sign-ins: the code and how to exchange
        it, or what went wrong (an ``error`` the authorization endpoint sent back)."""
        code = request.query_params.get("code", "")
        if not _CODE.fullmatch(code):
            error = request.query_params.get("error", "")
            return error_page(f"no sign-in code came back{f' ({error})' if error else ''}: "
                              "sign in again from /oauth/authorize", 400)
        return code_page(code, token_url=self._issuer + TOKEN_PATH,
                         redirect_uri=self._issuer + DEMO_CALLBACK_PATH)

    async def _form_request(self, request: Request) -> OAuthRequest | Response:
        try:
            form = await read_form(request)
        except FormTooLarge:
            return _oauth_error(413, "invalid_request", "the request body is too large")
        if form is None:
            return _oauth_error(400, "invalid_request", "send the parameters as "
                                "application/x-www-form-urlencoded (RFC 6749)")
        return oauth_request(request, self._issuer, form)

    async def token(self, request: Request) -> Response:
        prepared = await self._form_request(request)
        if isinstance(prepared, Response):
            return prepared
        result = await run_in_threadpool(self.server.create_token_response, prepared)
        return to_response(result)

    async def introspect(self, request: Request) -> Response:
        return await self._endpoint(request, "introspection")

    async def revoke(self, request: Request) -> Response:
        return await self._endpoint(request, "revocation")

    async def _endpoint(self, request: Request, name: str) -> Response:
        prepared = await self._form_request(request)
        if isinstance(prepared, Response):
            return prepared
        result = await run_in_threadpool(self.server.create_endpoint_response, name, prepared)
        return to_response(result)

    async def metadata(self, request: Request) -> Response:
        return JSONResponse(self.server.metadata(), headers={"Cache-Control": "max-age=300"})

    async def jwks(self, request: Request) -> Response:
        keys = await run_in_threadpool(self.server.stores.keys.jwks)
        return JSONResponse(keys, headers={"Cache-Control": "max-age=60"})

    # -- the login page ------------------------------------------------------------------

    async def authorize(self, request: Request) -> Response:
        parameters = list(request.query_params.multi_items())
        oauth = oauth_request(request, self._issuer, parameters)
        try:
            grant = await run_in_threadpool(self.server.get_consent_grant, oauth, None)
        except OAuth2Error as error:
            return self._authorize_error(oauth, error)
        client_name = grant.client.name
        scope = oauth.scope or ""
        if request.method == "GET":
            return login_page(client_name=client_name, scope=scope, csrf=new_csrf(),
                              secure=self._secure_cookie)
        try:
            form = dict(await read_form(request) or [])
        except FormTooLarge:
            return error_page("the form is too large", 413)
        if not csrf_ok(request, form.get(CSRF_FIELD)):
            return error_page("the sign-in form expired or did not come from this page; "
                              "go back to the application and start again", 403)
        login = form.get("login", "").strip()
        try:
            user = await run_in_threadpool(self.server.sign_in, login,
                                           form.get("password", ""), oauth)
        except TooManyFailures as exc:
            return error_page(exc.description, 429,
                              headers={"Retry-After": str(exc.retry_after_s)})
        if user is None:
            return login_page(client_name=client_name, scope=scope,
                              csrf=request.cookies.get(CSRF_COOKIE) or new_csrf(),
                              secure=self._secure_cookie, login=login, status=401,
                              problem="wrong login or password")
        result = await run_in_threadpool(self.server.create_authorization_response, oauth,
                                         user, grant)
        response = to_response(result)
        response.delete_cookie(CSRF_COOKIE, path=AUTHORIZE_PATH)
        return response

    def _authorize_error(self, oauth: OAuthRequest, error: OAuth2Error) -> Response:
        if error.redirect_uri:
            # The client and its redirect URI are known: tell the client (RFC 6749 4.1.2.1).
            result = self.server.handle_error_response(oauth, error)
            location = result.header("Location")
            if location:
                return RedirectResponse(location, status_code=302)
        # Unknown client, or a redirect URI it did not register: tell the user, never
        # redirect to an address nobody vouched for.
        return error_page(f"{error.error}: {error.description or 'bad request'}",
                          error.status_code if error.status_code >= 400 else 400)


def oauth_routes(server: OAuthServer) -> list[Route]:
    """The routes of the authorization server ``server``."""
    return OAuthEndpoints(server).routes()
