"""Audited manual overrides of a loan's tier, stage or ECL (append-only), and the PD at
origination of each loan.

Additive only: a new table, and a nullable column on ``loan``. The table is append-only in
the database itself: triggers refuse an UPDATE or a DELETE of its rows on both SQLite and
PostgreSQL, so the audit trail cannot be rewritten by a stray statement either.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 00:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from loanwatch.migrations.append_only import drop_append_only, make_append_only
from portfolio.types import UtcDateTime

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


_REFUSAL = "loan_override is append-only: record a revocation or a new override instead"


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
    make_append_only("loan_override", _REFUSAL)


def downgrade() -> None:
    drop_append_only("loan_override")
    op.drop_index("ix_loan_override_revokes_id", table_name="loan_override")
    op.drop_index("ix_loan_override_loan_id", table_name="loan_override")
    op.drop_table("loan_override")
    with op.batch_alter_table("loan") as batch:
        batch.drop_column("origination_pd")
