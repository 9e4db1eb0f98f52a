"""The model registry, its promotions, and the PD of every borrower per scan run (see
``portfolio/models.py``).

Additive only: three new tables. ``model_promotion`` is append-only in the database itself
(triggers refuse UPDATE and DELETE), like ``loan_override``: the history of which model was
in production is the audit trail of that choice.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 00:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from loanwatch.migrations.append_only import drop_append_only, make_append_only
from portfolio.types import UtcDateTime

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_REFUSAL = "model_promotion is append-only: promote another model instead"


def upgrade() -> None:
    op.create_table(
        "model_registry",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("scope", sa.String(16), nullable=False),
        sa.Column("target", sa.Text(), nullable=False),
        sa.Column("feature_names", sa.Text(), nullable=False),
        sa.Column("training", sa.Text(), nullable=False),
        sa.Column("metrics", sa.Text(), nullable=False),
        sa.Column("params", sa.Text(), nullable=False),
        sa.Column("code_version", sa.String(128), nullable=False),
        sa.Column("payload", sa.LargeBinary(), nullable=False),
        sa.Column("payload_sha256", sa.String(64), nullable=False),
        sa.Column("actor", sa.String(255), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
    )
    op.create_table(
        "model_promotion",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("model_id", sa.Integer(), sa.ForeignKey("model_registry.id"),
                  nullable=False),
        sa.Column("scope", sa.String(16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("actor", sa.String(255), nullable=False),
        sa.Column("promoted_at", UtcDateTime(), nullable=False),
    )
    op.create_index("ix_model_promotion_scope", "model_promotion", ["scope", "id"])
    make_append_only("model_promotion", _REFUSAL)
    op.create_table(
        "scan_party_score",
        sa.Column("run_id", sa.Integer(), sa.ForeignKey("scan_run.id"), primary_key=True),
        sa.Column("party_id", sa.String(128), primary_key=True),
        sa.Column("model_id", sa.Integer(), sa.ForeignKey("model_registry.id"),
                  nullable=False),
        sa.Column("pd", sa.Double(), nullable=False),
        sa.Column("points", sa.Double(), nullable=True),
        sa.Column("reasons", sa.Text(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("scan_party_score")
    drop_append_only("model_promotion")
    op.drop_index("ix_model_promotion_scope", "model_promotion")
    op.drop_table("model_promotion")
    op.drop_table("model_registry")
