"""Authlib's grants, bound to Loanwatch's stores.

* client credentials, for integrations (confidential clients only);
* authorization code, with PKCE S256 required of public clients and ``plain`` refused;
* refresh token, rotated at every use, a reused one revoking its family.

The grants reach the stores through ``self.server`` (an
:class:`auth.authorization_server.OAuthServer`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from authlib.oauth2.rfc6749 import InvalidGrantError, InvalidRequestError, grants
from authlib.oauth2.rfc7636 import CodeChallenge

from auth.authorization_codes import AuthorizationCode
from auth.refresh_tokens import RefreshToken
from auth.users import User

if TYPE_CHECKING:
    from auth.authorization_server import OAuthServer

__all__ = ["AuthorizationCodeGrant", "ClientCredentialsGrant", "RefreshTokenGrant",
           "S256CodeChallenge"]

_SECRET_METHODS = ["client_secret_basic", "client_secret_post"]


class ClientCredentialsGrant(grants.ClientCredentialsGrant):  # type: ignore[misc]
    """An integration's token: the client is the subject, its role the token's role."""

    TOKEN_ENDPOINT_AUTH_METHODS: ClassVar[list[str]] = _SECRET_METHODS


class AuthorizationCodeGrant(grants.AuthorizationCodeGrant):  # type: ignore[misc]
    """The code a signed-in user's browser carries back to the client."""

    TOKEN_ENDPOINT_AUTH_METHODS: ClassVar[list[str]] = [*_SECRET_METHODS, "none"]
    server: OAuthServer

    def save_authorization_code(self, code: str, request: Any) -> None:
        data = request.payload.data
        self.server.codes.save(
            code, client_id=request.client.client_id, user_login=request.user.login,
            redirect_uri=request.payload.redirect_uri or "", scope=request.scope or "",
            code_challenge=data.get("code_challenge") or "",
            code_challenge_method=data.get("code_challenge_method") or "")

    def query_authorization_code(self, code: str, client: Any) -> AuthorizationCode | None:
        # Taken (deleted) here: a code is good for one try, right or wrong.
        return self.server.codes.take(code, client.client_id)

    def delete_authorization_code(self, authorization_code: AuthorizationCode) -> None:
        """Nothing left to do: :meth:`query_authorization_code` took it."""

    def authenticate_user(self, authorization_code: AuthorizationCode) -> User | None:
        return self.server.users.get(authorization_code.user_login)


class S256CodeChallenge(CodeChallenge):  # type: ignore[misc]
    """PKCE (RFC 7636) with S256 only; required of public clients when they ask for a code,
    and checked at the token endpoint (a wrong verifier is ``invalid_grant``)."""

    DEFAULT_CODE_CHALLENGE_METHOD = "S256"
    SUPPORTED_CODE_CHALLENGE_METHOD: ClassVar[list[str]] = ["S256"]

    def validate_code_challenge(self, grant: Any, redirect_uri: str) -> None:
        data = grant.request.payload.data
        challenge = data.get("code_challenge")
        if not challenge and grant.request.client.public:
            raise InvalidRequestError("a public client must use PKCE: send code_challenge "
                                      "and code_challenge_method=S256")
        if challenge and data.get("code_challenge_method") != "S256":
            raise InvalidRequestError("code_challenge_method must be S256 ('plain' is not "
                                      "accepted)")
        super().validate_code_challenge(grant, redirect_uri)


class RefreshTokenGrant(grants.RefreshTokenGrant):  # type: ignore[misc]
    """A new access token and a new refresh token for a refresh token, which is used up."""

    TOKEN_ENDPOINT_AUTH_METHODS: ClassVar[list[str]] = [*_SECRET_METHODS, "none"]
    INCLUDE_NEW_REFRESH_TOKEN = True
    server: OAuthServer

    def authenticate_refresh_token(self, refresh_token: str) -> RefreshToken:
        token = self.server.refresh_tokens.find(refresh_token)
        client = self.request.client
        if token is None or not token.check_client(client):
            raise InvalidGrantError("the refresh token is unknown")
        if token.revoked_at is not None:
            raise InvalidGrantError("the refresh token has been revoked; sign in again")
        if token.used_at is not None:
            self._reused(token)
        if token.is_expired():
            raise InvalidGrantError("the refresh token has expired; sign in again")
        return token

    def _reused(self, token: RefreshToken) -> None:
        self.server.refresh_token_reused(token, self.request)
        raise InvalidGrantError("the refresh token was already used: every token of this "
                                "sign-in is revoked; sign in again")

    def validate_token_request(self) -> None:
        super().validate_token_request()
        token: RefreshToken = self.request.refresh_token
        if not self.server.refresh_tokens.claim(token):
            # Another request used it in the meantime: a reuse as well.
            self._reused(token)

    def authenticate_user(self, refresh_token: RefreshToken) -> User | None:
        return self.server.users.get(refresh_token.user_login)

    def revoke_old_credential(self, refresh_token: RefreshToken) -> None:
        """Nothing left to do: :meth:`validate_token_request` marked it used."""
