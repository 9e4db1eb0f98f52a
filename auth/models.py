"""The OAuth authorization server's tables: clients, users, authorization codes, refresh
tokens, signing keys and revocations.

Times are whole seconds since the epoch (``BigInteger``), as OAuth and JWT count them, so
the same value reads back on SQLite and PostgreSQL. Secrets never reach a table in clear:
client secrets, authorization codes and refresh tokens are kept as their SHA-256 (they are
long random strings, so a fast hash is enough), passwords as Argon2id hashes. The private
signing keys are the exception the server needs: whoever can read this database can sign
tokens, so it is as secret as the keys (README, "Getting a token").
"""

from __future__ import annotations

from typing import Final

from sqlalchemy import BigInteger, Boolean, Index, String, Text
from sqlmodel import Field, SQLModel

__all__ = [
    "CLIENT_ID_LENGTH",
    "LOGIN_LENGTH",
    "AuthorizationCodeRow",
    "ClientRow",
    "RefreshTokenRow",
    "RevocationRow",
    "SigningKeyRow",
    "UserRow",
]

CLIENT_ID_LENGTH: Final = 64
LOGIN_LENGTH: Final = 128
_HASH_LENGTH: Final = 64  # SHA-256, hex
_ROLE_LENGTH: Final = 32


class ClientRow(SQLModel, table=True):
    """A registered OAuth client. ``scopes``, ``grant_types`` are space-separated,
    ``redirect_uris`` newline-separated; ``secret_hash`` is empty for a public client."""

    __tablename__ = "oauth_client"

    client_id: str = Field(primary_key=True, sa_type=String(CLIENT_ID_LENGTH))
    name: str = Field(sa_type=String(255))
    secret_hash: str = Field(sa_type=String(_HASH_LENGTH))
    public: bool = Field(sa_type=Boolean)
    role: str = Field(sa_type=String(_ROLE_LENGTH))
    scopes: str = Field(sa_type=Text)
    grant_types: str = Field(sa_type=Text)
    redirect_uris: str = Field(sa_type=Text)
    created_at: int = Field(sa_type=BigInteger)
    revoked_at: int | None = Field(default=None, sa_type=BigInteger)


class UserRow(SQLModel, table=True):
    """A person who signs in on the login page."""

    __tablename__ = "oauth_user"

    login: str = Field(primary_key=True, sa_type=String(LOGIN_LENGTH))
    password_hash: str = Field(sa_type=Text)
    role: str = Field(sa_type=String(_ROLE_LENGTH))
    created_at: int = Field(sa_type=BigInteger)
    disabled_at: int | None = Field(default=None, sa_type=BigInteger)


class AuthorizationCodeRow(SQLModel, table=True):
    """An authorization code not yet exchanged (deleted when it is)."""

    __tablename__ = "oauth_authorization_code"

    code_hash: str = Field(primary_key=True, sa_type=String(_HASH_LENGTH))
    client_id: str = Field(sa_type=String(CLIENT_ID_LENGTH))
    user_login: str = Field(sa_type=String(LOGIN_LENGTH))
    redirect_uri: str = Field(sa_type=Text)
    scope: str = Field(sa_type=Text)
    code_challenge: str = Field(sa_type=String(128))
    code_challenge_method: str = Field(sa_type=String(16))
    expires_at: int = Field(sa_type=BigInteger)


class RefreshTokenRow(SQLModel, table=True):
    """One refresh token of a family (all the tokens rotated from one authorization).

    ``used_at`` is set when it is exchanged for the next one; presenting it again is a
    reuse, and revokes the family (``revoked_at`` on every row, and the access tokens they
    were issued with, ``access_jti``, go on the revocation list).
    """

    __tablename__ = "oauth_refresh_token"
    __table_args__ = (Index("ix_oauth_refresh_token_family", "family_id"),)

    token_hash: str = Field(primary_key=True, sa_type=String(_HASH_LENGTH))
    family_id: str = Field(sa_type=String(_HASH_LENGTH))
    client_id: str = Field(sa_type=String(CLIENT_ID_LENGTH))
    user_login: str = Field(sa_type=String(LOGIN_LENGTH))
    scope: str = Field(sa_type=Text)
    issued_at: int = Field(sa_type=BigInteger)
    expires_at: int = Field(sa_type=BigInteger)
    used_at: int | None = Field(default=None, sa_type=BigInteger)
    revoked_at: int | None = Field(default=None, sa_type=BigInteger)
    access_jti: str = Field(sa_type=String(_HASH_LENGTH))
    access_expires_at: int = Field(sa_type=BigInteger)


class SigningKeyRow(SQLModel, table=True):
    """A key that signs access tokens. The newest unretired key signs; a retired key stays
    published (at the JWKS endpoint) until ``publish_until``, after the last token it
    signed has expired."""

    __tablename__ = "oauth_signing_key"

    kid: str = Field(primary_key=True, sa_type=String(_HASH_LENGTH))
    algorithm: str = Field(sa_type=String(16))
    private_pem: str = Field(sa_type=Text)
    public_jwk: str = Field(sa_type=Text)
    created_at: int = Field(sa_type=BigInteger)
    retired_at: int | None = Field(default=None, sa_type=BigInteger)
    publish_until: int | None = Field(default=None, sa_type=BigInteger)


class RevocationRow(SQLModel, table=True):
    """Something whose access tokens no longer count, until ``expires_at`` (after which
    none of them can be alive): ``jti:<token id>`` or ``client:<client id>``."""

    __tablename__ = "oauth_revocation"
    __table_args__ = (Index("ix_oauth_revocation_expires_at", "expires_at"),)

    key: str = Field(primary_key=True, sa_type=String(CLIENT_ID_LENGTH + 16))
    revoked_at: int = Field(sa_type=BigInteger)
    expires_at: int = Field(sa_type=BigInteger)
