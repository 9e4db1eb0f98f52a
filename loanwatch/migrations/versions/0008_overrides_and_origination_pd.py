"""Audited manual overrides of a loan's tier, stage or ECL (append-only), and the PD at
origination of each loan.

Additive only: a new table, and a nullable column on ``loan``.

Revision ID: 0008
Revises: 0006
Create Date: 2026-12-01 00:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from portfolio.types import UtcDateTime

revision: str = "0008"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("loan") as batch:
        batch.add_column(sa.Column("origination_pd", sa.Float(), nullable=True))
    op.create_table(
        "loan_override",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("loan_id", sa.String(128), sa.ForeignKey("loan.id"), nullable=False),
        sa.Column("action", sa.String(8), nullable=False),
        sa.Column("tier", sa.String(16), nullable=True),
        sa.Column("stage", sa.Integer(), nullable=True),
        sa.Column("ecl_minor", sa.BigInteger(), nullable=True),
        sa.Column("currency", sa.String(3), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("actor", sa.String(255), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("revokes_id", sa.Integer(), sa.ForeignKey("loan_override.id"),
                  nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
    )
    op.create_index("ix_loan_override_loan_id", "loan_override", ["loan_id", "id"])
    op.create_index("ix_loan_override_revokes_id", "loan_override", ["revokes_id"])


def downgrade() -> None:
    op.drop_index("ix_loan_override_revokes_id", table_name="loan_override")
    op.drop_index("ix_loan_override_loan_id", table_name="loan_override")
    op.drop_table("loan_override")
    with op.batch_alter_table("loan") as batch:
        batch.drop_column("origination_pd")
