"""The OAuth authorization server's tables (see ``auth/models.py``).

Additive only: clients, users, authorization codes, refresh tokens (families, rotation),
signing keys and the revocation list.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 23:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "oauth_client",
        sa.Column("client_id", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("secret_hash", sa.String(64), nullable=False),
        sa.Column("public", sa.Boolean(), nullable=False),
        sa.Column("role", sa.String(32), nullable=False),
        sa.Column("scopes", sa.Text(), nullable=False),
        sa.Column("grant_types", sa.Text(), nullable=False),
        sa.Column("redirect_uris", sa.Text(), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("revoked_at", sa.BigInteger(), nullable=True),
    )
    op.create_table(
        "oauth_user",
        sa.Column("login", sa.String(128), primary_key=True),
        sa.Column("password_hash", sa.Text(), nullable=False),
        sa.Column("role", sa.String(32), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("disabled_at", sa.BigInteger(), nullable=True),
    )
    op.create_table(
        "oauth_authorization_code",
        sa.Column("code_hash", sa.String(64), primary_key=True),
        sa.Column("client_id", sa.String(64), nullable=False),
        sa.Column("user_login", sa.String(128), nullable=False),
        sa.Column("redirect_uri", sa.Text(), nullable=False),
        sa.Column("scope", sa.Text(), nullable=False),
        sa.Column("code_challenge", sa.String(128), nullable=False),
        sa.Column("code_challenge_method", sa.String(16), nullable=False),
        sa.Column("expires_at", sa.BigInteger(), nullable=False),
    )
    op.create_table(
        "oauth_refresh_token",
        sa.Column("token_hash", sa.String(64), primary_key=True),
        sa.Column("family_id", sa.String(64), nullable=False),
        sa.Column("client_id", sa.String(64), nullable=False),
        sa.Column("user_login", sa.String(128), nullable=False),
        sa.Column("scope", sa.Text(), nullable=False),
        sa.Column("issued_at", sa.BigInteger(), nullable=False),
        sa.Column("expires_at", sa.BigInteger(), nullable=False),
        sa.Column("used_at", sa.BigInteger(), nullable=True),
        sa.Column("revoked_at", sa.BigInteger(), nullable=True),
        sa.Column("access_jti", sa.String(64), nullable=False),
        sa.Column("access_expires_at", sa.BigInteger(), nullable=False),
    )
    op.create_index("ix_oauth_refresh_token_family", "oauth_refresh_token", ["family_id"])
    op.create_table(
        "oauth_signing_key",
        sa.Column("kid", sa.String(64), primary_key=True),
        sa.Column("algorithm", sa.String(16), nullable=False),
        sa.Column("private_pem", sa.Text(), nullable=False),
        sa.Column("public_jwk", sa.Text(), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("retired_at", sa.BigInteger(), nullable=True),
        sa.Column("publish_until", sa.BigInteger(), nullable=True),
    )
    op.create_table(
        "oauth_revocation",
        sa.Column("key", sa.String(80), primary_key=True),
        sa.Column("revoked_at", sa.BigInteger(), nullable=False),
        sa.Column("expires_at", sa.BigInteger(), nullable=False),
    )
    op.create_index("ix_oauth_revocation_expires_at", "oauth_revocation", ["expires_at"])


def downgrade() -> None:
    op.drop_index("ix_oauth_revocation_expires_at", "oauth_revocation")
    op.drop_table("oauth_revocation")
    op.drop_table("oauth_signing_key")
    op.drop_index("ix_oauth_refresh_token_family", "oauth_refresh_token")
    op.drop_table("oauth_refresh_token")
    op.drop_table("oauth_authorization_code")
    op.drop_table("oauth_user")
    op.drop_table("oauth_client")
