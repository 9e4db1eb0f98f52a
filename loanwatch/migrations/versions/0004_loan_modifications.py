"""Loan modifications (restructuring, term extension, payment pause) and the bureau's
amount more than 90 days overdue at all lenders, for the classification rules.

Additive only: a new table, and a nullable column on ``bureau_snapshot``.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 00:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "loan_modification",
        sa.Column("id", sa.String(128), primary_key=True),
        sa.Column("loan_id", sa.String(128), sa.ForeignKey("loan.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("kind", sa.String(24), nullable=False),
        sa.Column("effective_on", sa.Date(), nullable=False),
        sa.Column("pause_until", sa.Date(), nullable=True),
        sa.Column("reason", sa.String(255), nullable=True),
        sa.Column("financial_difficulty", sa.Boolean(), nullable=False),
    )
    op.create_index("ix_loan_modification_loan_id_effective_on", "loan_modification",
                    ["loan_id", "effective_on"])
    with op.batch_alter_table("bureau_snapshot") as batch:
        batch.add_column(sa.Column("overdue_90_minor", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("bureau_snapshot") as batch:
        batch.drop_column("overdue_90_minor")
    op.drop_index("ix_loan_modification_loan_id_effective_on", "loan_modification")
    op.drop_table("loan_modification")
