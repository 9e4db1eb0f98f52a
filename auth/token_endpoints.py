"""Introspection (RFC 7662) and revocation (RFC 7009) of access and refresh tokens.

Both take either kind of token (``token_type_hint`` narrows the search). An access token is
a JWT checked like the API checks it; revoking one puts its ``jti`` on the revocation list,
which every verifier consults, so it stops working at once. Revoking a refresh token
revokes its whole family and the access tokens issued with it.

A confidential client may introspect the tokens issued to it; a client whose role is
``admin`` may introspect any. A public client may revoke its own tokens.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from authlib.oauth2.rfc6749 import TokenMixin
from authlib.oauth2.rfc7009 import RevocationEndpoint as _RevocationEndpoint
from authlib.oauth2.rfc7662 import IntrospectionEndpoint as _IntrospectionEndpoint

from auth.errors import InvalidToken
from auth.principal import Role
from auth.refresh_tokens import RefreshToken

if TYPE_CHECKING:
    from auth.authorization_server import OAuthServer

__all__ = ["AccessToken", "IntrospectionEndpoint", "RevocationEndpoint"]


@dataclass(frozen=True, slots=True)
class AccessToken(TokenMixin):  # type: ignore[misc]
    """A checked JWT access token, as the endpoints see it."""

    claims: dict[str, Any]
    revoked: bool
    now: int

    @property
    def client_id(self) -> str:
        return str(self.claims["client_id"])

    def check_client(self, client: object) -> bool:
        return getattr(client, "client_id", None) == self.client_id

    def get_scope(self) -> str:
        return str(self.claims["scope"])

    def get_expires_in(self) -> int:
        return int(self.claims["exp"]) - int(self.claims["iat"])

    def is_expired(self) -> bool:
        return int(self.claims["exp"]) < self.now

    def is_revoked(self) -> bool:
        return self.revoked


def _find(server: OAuthServer, token: str, hint: str | None) -> AccessToken | RefreshToken | None:
    if hint != "refresh_token" and token.count(".") == 2:
        try:
            claims = server.verifier.claims(token)
        except InvalidToken:
            claims = None
        if claims is not None:
            revoked = server.revocations.is_revoked(claims["jti"], claims["client_id"])
            return AccessToken(claims=claims, revoked=revoked, now=server.now())
    if hint != "access_token":
        return server.refresh_tokens.find(token)
    return None


class IntrospectionEndpoint(_IntrospectionEndpoint):  # type: ignore[misc]
    CLIENT_AUTH_METHODS: ClassVar[list[str]] = ["client_secret_basic", "client_secret_post"]
    server: OAuthServer

    def query_token(self, token_string: str, token_type_hint: str | None) -> Any:
        return _find(self.server, token_string, token_type_hint)

    def check_permission(self, token: Any, client: Any, request: Any) -> bool:
        return bool(token.check_client(client) or client.role == Role.ADMIN)

    def introspect_token(self, token: Any) -> dict[str, Any]:
        if isinstance(token, AccessToken):
            claims = token.claims
            subject = str(claims["sub"])
            payload = {key: claims[key] for key in ("scope", "client_id", "sub", "aud", "iss",
                                                    "exp", "iat", "jti") if key in claims}
            payload.update(token_type="Bearer", role=claims["role"])
            if subject.startswith("user:"):
                payload["username"] = subject[len("user:"):]
            return payload
        return {"scope": token.scope, "client_id": token.client_id,
                "token_type": "refresh_token", "exp": token.expires_at,
                "iat": token.issued_at, "sub": f"user:{token.user_login}",
                "username": token.user_login, "iss": self.server.settings.issuer}


class RevocationEndpoint(_RevocationEndpoint):  # type: ignore[misc]
    CLIENT_AUTH_METHODS: ClassVar[list[str]] = [
        "client_secret_basic", "client_secret_post", "none"]
    server: OAuthServer

    def query_token(self, token_string: str, token_type_hint: str | None) -> Any:
        return _find(self.server, token_string, token_type_hint)

    def revoke_token(self, token: Any, request: Any) -> None:
        self.server.revoke_token(token, request)
