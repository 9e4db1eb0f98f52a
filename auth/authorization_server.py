"""The OAuth 2.0 authorization server: Authlib's generic ``AuthorizationServer`` bound to
Loanwatch's stores, framework-free.

Authlib does the protocol (grants, client authentication, PKCE, error responses); this
class supplies what Authlib asks of an integration: finding clients, saving tokens, making
JWT access tokens, and turning a result into a response, here a plain
:class:`OAuthResponse` the HTTP layer (``api/oauth``) sends. It adds what Loanwatch needs
around the protocol: the throttling of wrong secrets and passwords per source address,
the audit events (LOGIN, TOKEN, ADMINISTRATION) handed to an :class:`AuditSink`, refresh
token families, and the revocation of access tokens.

Example (the HTTP layer builds the request)::

    server = OAuthServer(stores, settings, audit=sink)
    response = server.create_token_response(OAuthRequest("POST", uri, headers, form,
                                                         source="10.0.0.7"))
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final
from urllib.parse import urlsplit

from authlib.oauth2 import AuthorizationServer, OAuth2Error
from authlib.oauth2.rfc6749 import InvalidClientError, InvalidRequestError
from authlib.oauth2.rfc6749.util import extract_basic_authorization
from authlib.oauth2.rfc6750 import BearerTokenGenerator

from auth.access_tokens import (
    DEFAULT_LEEWAY_S,
    AccessTokenVerifier,
    new_token_id,
    sign_access_token,
    unverified_claims,
)
from auth.audit_events import AuditAction, AuditEvent, AuditSink
from auth.authorization_codes import AuthorizationCodes
from auth.clients import ClientStore, OAuthClient
from auth.credentials import new_secret
from auth.grants import (
    AuthorizationCodeGrant,
    ClientCredentialsGrant,
    RefreshTokenGrant,
    S256CodeChallenge,
)
from auth.oauth_request import OAuthRequest
from auth.principal import SCOPES
from auth.refresh_tokens import RefreshToken, RefreshTokens
from auth.revocations import Revocations, client_key, token_key
from auth.signing_keys import SigningKey, SigningKeyStore
from auth.throttle import Attempt, FailureThrottle
from auth.token_endpoints import AccessToken, IntrospectionEndpoint, RevocationEndpoint
from auth.users import User, UserStore

__all__ = [
    "KEY_RELOAD_S",
    "OAuthResponse",
    "OAuthServer",
    "OAuthSettings",
    "OAuthStores",
    "TooManyFailures",
    "rotation_overlap_s",
]

#: A process re-reads the signing key this often (so a rotation elsewhere reaches it).
KEY_RELOAD_S: Final = 30


def rotation_overlap_s(access_token_ttl_s: int) -> int:
    """How long a retired key must stay published: a token it signed just before the
    rotation is seen (after :data:`KEY_RELOAD_S`) lives ``access_token_ttl_s`` more, give or
    take the clock skew."""
    return access_token_ttl_s + KEY_RELOAD_S + 2 * DEFAULT_LEEWAY_S


@dataclass(frozen=True, slots=True)
class OAuthSettings:
    """What the server says it is, and how long what it issues lives."""

    issuer: str
    audience: str
    access_token_ttl_s: int
    refresh_token_ttl_s: int


@dataclass(frozen=True, slots=True)
class OAuthStores:
    """Everything the server keeps, each on the same SQL database."""

    clients: ClientStore
    users: UserStore
    codes: AuthorizationCodes
    refresh_tokens: RefreshTokens
    keys: SigningKeyStore
    revocations: Revocations
    throttle: FailureThrottle


@dataclass(frozen=True, slots=True)
class OAuthResponse:
    """What to send back: status, body (a JSON object, or text), headers."""

    status: int
    body: Mapping[str, Any] | str
    headers: Sequence[tuple[str, str]] = field(default_factory=tuple)

    def header(self, name: str) -> str | None:
        for key, value in self.headers:
            if key.lower() == name.lower():
                return value
        return None


class TooManyFailures(OAuth2Error):  # type: ignore[misc]
    """Too many wrong secrets or passwords from one address (429 with ``Retry-After``)."""

    error = "too_many_requests"
    status_code = 429

    def __init__(self, retry_after_s: int, what: str) -> None:
        super().__init__(description=f"too many wrong {what} from this address; try again "
                                     f"in {retry_after_s} s")
        self.retry_after_s = retry_after_s

    def get_headers(self) -> list[tuple[str, str]]:
        return [*super().get_headers(), ("Retry-After", str(self.retry_after_s))]


class _TokenGenerator(BearerTokenGenerator):  # type: ignore[misc]
    """Bearer tokens whose access token is an RFC 9068 JWT and whose refresh token is a
    random string."""

    def __init__(self, server: OAuthServer) -> None:
        super().__init__(self._access_token, self._refresh_token, self._expires_in)
        self._server = server

    def _expires_in(self, client: OAuthClient, grant_type: str) -> int:
        return self._server.settings.access_token_ttl_s

    def _refresh_token(self, **_: Any) -> str:
        return new_secret()

    def _access_token(self, client: OAuthClient, grant_type: str, user: User | None,
                      scope: str) -> str:
        server = self._server
        now = server.now()
        claims = {
            "iss": server.settings.issuer,
            "sub": user.subject if user is not None else f"client:{client.client_id}",
            "aud": server.settings.audience,
            "exp": now + server.settings.access_token_ttl_s,
            "iat": now,
            "jti": new_token_id(),
            "client_id": client.client_id,
            "scope": scope,
            "role": (user.role if user is not None else client.role).value,
        }
        return sign_access_token(server.signing_key(), claims)


class OAuthServer(AuthorizationServer):  # type: ignore[misc]
    """Loanwatch's authorization server (see the module's documentation).

    Args:
        stores: where clients, users, codes, tokens, keys and revocations are kept.
        settings: issuer, audience and lifetimes.
        audit: where the LOGIN, TOKEN and ADMINISTRATION events go.
        clock: seconds since the epoch.
    """

    def __init__(self, stores: OAuthStores, settings: OAuthSettings, *, audit: AuditSink,
                 clock: Callable[[], float] = time.time) -> None:
        super().__init__(scopes_supported=list(SCOPES))
        self.stores = stores
        self.settings = settings
        self.audit = audit
        self._clock = clock
        self._key: SigningKey | None = None
        self._key_read_at = float("-inf")
        self.verifier = AccessTokenVerifier(
            stores.keys.published, stores.revocations, issuer=settings.issuer,
            audience=settings.audience, clock=clock)
        self.register_token_generator("default", _TokenGenerator(self))
        self.register_grant(ClientCredentialsGrant)
        self.register_grant(AuthorizationCodeGrant, [S256CodeChallenge(required=True)])
        self.register_grant(RefreshTokenGrant)
        self.register_endpoint(IntrospectionEndpoint)
        self.register_endpoint(RevocationEndpoint)

    # -- what the grants reach -----------------------------------------------------------

    @property
    def clients(self) -> ClientStore:
        return self.stores.clients

    @property
    def users(self) -> UserStore:
        return self.stores.users

    @property
    def codes(self) -> AuthorizationCodes:
        return self.stores.codes

    @property
    def refresh_tokens(self) -> RefreshTokens:
        return self.stores.refresh_tokens

    @property
    def revocations(self) -> Revocations:
        return self.stores.revocations

    def now(self) -> int:
        return int(self._clock())

    def signing_key(self) -> SigningKey:
        """The key that signs now, re-read every :data:`KEY_RELOAD_S` seconds."""
        now = self._clock()
        if self._key is None or now - self._key_read_at >= KEY_RELOAD_S:
            self._key = self.stores.keys.active()
            self._key_read_at = now
        return self._key

    # -- what Authlib asks of an integration ---------------------------------------------

    def query_client(self, client_id: str) -> OAuthClient | None:
        client = self.stores.clients.get(client_id)
        return None if client is None or client.revoked else client

    def authenticate_client(self, request: OAuthRequest, methods: list[str],
                            endpoint: str = "token") -> OAuthClient:
        """Authlib's client authentication, refused from an address that failed too often,
        every failure counted and audited."""
        wait = self.stores.throttle.retry_after(Attempt.CLIENT_SECRET, request.source)
        if wait is not None:
            raise TooManyFailures(wait, "client credentials")
        try:
            return super().authenticate_client(request, methods, endpoint)  # type: ignore[no-any-return]
        except InvalidClientError:
            self.stores.throttle.failed(Attempt.CLIENT_SECRET, request.source)
            self.record(request, AuditAction.TOKEN, client_id=_claimed_client(request),
                        detail={"outcome": "client-authentication-failed",
                                "endpoint": endpoint})
            raise

    def save_token(self, token: dict[str, Any], request: OAuthRequest) -> None:
        claims = unverified_claims(token["access_token"])
        client: OAuthClient = request.client
        user: User | None = request.user
        previous: RefreshToken | None = getattr(request, "refresh_token", None)
        if "refresh_token" in token and user is not None:
            self.stores.refresh_tokens.issue(
                client_id=client.client_id, user_login=user.login, scope=claims["scope"],
                ttl_s=self.settings.refresh_token_ttl_s, access_jti=claims["jti"],
                access_expires_at=claims["exp"],
                family_id=None if previous is None else previous.family_id,
                token=token["refresh_token"])
        self.record(request, AuditAction.TOKEN, client_id=client.client_id,
                    user=None if user is None else user.login,
                    detail={"outcome": "issued", "grant_type": request.payload.grant_type,
                            "token_id": claims["jti"], "scope": claims["scope"],
                            "role": claims["role"]})

    def create_oauth2_request(self, request: OAuthRequest) -> OAuthRequest:
        return request

    def create_json_request(self, request: Any) -> Any:
        """Authlib's JSON endpoints (dynamic client registration) are not offered: clients
        are registered with ``loanwatch clients create``.

        Raises:
            InvalidRequestError: always (``invalid_request``, 400).
        """
        raise InvalidRequestError(description="Loanwatch's OAuth endpoints take "
                                  "application/x-www-form-urlencoded bodies only")

    def handle_response(self, status: int, body: Any, headers: Any) -> OAuthResponse:
        return OAuthResponse(status=status, body=body if body is not None else "",
                             headers=tuple((str(k), str(v)) for k, v in headers or ()))

    def send_signal(self, name: str, *args: Any, **kwargs: Any) -> None:
        """Authlib's signals: the audit events are recorded where things happen."""

    # -- what Loanwatch adds -------------------------------------------------------------

    def sign_in(self, login: str, password: str, request: OAuthRequest) -> User | None:
        """The user whose login and password these are, or ``None``; every attempt audited.

        Raises:
            TooManyFailures: this address gave too many wrong passwords lately.
        """
        wait = self.stores.throttle.retry_after(Attempt.PASSWORD, request.source)
        if wait is not None:
            self.record(request, AuditAction.LOGIN, client_id=_claimed_client(request),
                        user=login[:128], detail={"outcome": "throttled"})
            raise TooManyFailures(wait, "passwords")
        user = self.stores.users.authenticate(login, password)
        if user is None:
            self.stores.throttle.failed(Attempt.PASSWORD, request.source)
        self.record(request, AuditAction.LOGIN, client_id=_claimed_client(request),
                    user=login[:128], detail={"outcome": "failed" if user is None else "ok"})
        return user

    def refresh_token_reused(self, token: RefreshToken, request: OAuthRequest) -> None:
        """A used refresh token came back: revoke its family and their access tokens."""
        access = self.stores.refresh_tokens.revoke_family(token.family_id)
        self.stores.revocations.revoke((token_key(jti), exp) for jti, exp in access)
        self.record(request, AuditAction.TOKEN, client_id=token.client_id,
                    user=token.user_login,
                    detail={"outcome": "refresh-token-reused", "family_revoked": True,
                            "access_tokens_revoked": len(access)})

    def revoke_token(self, token: AccessToken | RefreshToken, request: OAuthRequest) -> None:
        """Revoke an access token (on the revocation list) or a refresh token (its family
        and their access tokens)."""
        if isinstance(token, AccessToken):
            self.stores.revocations.revoke([(token_key(token.claims["jti"]),
                                             int(token.claims["exp"]))])
            detail: dict[str, object] = {"outcome": "revoked", "kind": "access_token",
                                         "token_id": token.claims["jti"]}
            user = str(token.claims["sub"]).removeprefix("user:") \
                if str(token.claims["sub"]).startswith("user:") else None
        else:
            access = self.stores.refresh_tokens.revoke_family(token.family_id)
            self.stores.revocations.revoke((token_key(jti), exp) for jti, exp in access)
            detail = {"outcome": "revoked", "kind": "refresh_token",
                      "access_tokens_revoked": len(access)}
            user = token.user_login
        self.record(request, AuditAction.TOKEN, client_id=token.client_id, user=user,
                    detail=detail)

    def revoke_client(self, client_id: str, *, actor: str = "cli",
                      source: str = "cli") -> OAuthClient:
        """Revoke a client: it can no longer authenticate, its refresh tokens are revoked
        and its live access tokens stop working at once.

        Raises:
            UnknownClient: no client has that id.
        """
        client = self.stores.clients.revoke(client_id)
        self.stores.refresh_tokens.revoke_client(client_id)
        self.stores.revocations.revoke([(client_key(client_id), self.now()
                                         + rotation_overlap_s(
                                             self.settings.access_token_ttl_s))])
        self.audit.record(AuditEvent(
            at=datetime.fromtimestamp(self._clock(), UTC), action=AuditAction.ADMINISTRATION,
            client_id="cli", user=actor, operation="clients revoke", targets=(client_id,),
            source=source, detail={"outcome": "revoked"}))
        return client

    def metadata(self) -> dict[str, Any]:
        """The server's metadata (RFC 8414)."""
        issuer = self.settings.issuer
        secret_methods = ["client_secret_basic", "client_secret_post"]
        return {
            "issuer": issuer,
            "authorization_endpoint": f"{issuer}/oauth/authorize",
            "token_endpoint": f"{issuer}/oauth/token",
            "jwks_uri": f"{issuer}/.well-known/jwks.json",
            "scopes_supported": list(SCOPES),
            "response_types_supported": ["code"],
            "response_modes_supported": ["query"],
            "grant_types_supported": ["authorization_code", "client_credentials",
                                      "refresh_token"],
            "token_endpoint_auth_methods_supported": [*secret_methods, "none"],
            "revocation_endpoint": f"{issuer}/oauth/revoke",
            "revocation_endpoint_auth_methods_supported": [*secret_methods, "none"],
            "introspection_endpoint": f"{issuer}/oauth/introspect",
            "introspection_endpoint_auth_methods_supported": secret_methods,
            "code_challenge_methods_supported": ["S256"],
        }

    def record(self, request: OAuthRequest, action: AuditAction, *, client_id: str,
               user: str | None = None, targets: Iterable[str] = (),
               detail: Mapping[str, object] | None = None) -> None:
        """Hand an audit event about ``request`` to the sink."""
        operation = f"{request.method} {_path(request.uri)}"
        self.audit.record(AuditEvent(
            at=datetime.fromtimestamp(self._clock(), UTC), action=action, client_id=client_id,
            user=user, operation=operation, targets=tuple(targets), source=request.source,
            request_id=request.request_id, detail=dict(detail or {})))


def _path(uri: str) -> str:
    return urlsplit(uri).path


def _claimed_client(request: OAuthRequest) -> str:
    """The client id a request claims (unchecked, cut short), for the audit trail."""
    basic, _ = extract_basic_authorization(request.headers)
    return str(basic or request.payload.client_id or "")[:64]
