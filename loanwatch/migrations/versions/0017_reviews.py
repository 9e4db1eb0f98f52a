"""Loan reviews (定期复审 and triggered reviews) and each loan's next review date. See
``portfolio/reviews.py``.

Additive only: two new tables. ``review`` has the natural key ``(loan_id, as_of, kind)``
under a unique constraint, so a review runs once however often it is asked for.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-02 02:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from portfolio.types import UtcDateTime

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "review",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("loan_id", sa.String(128), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("trigger", sa.JSON(), nullable=True),
        sa.Column("borrower_id", sa.String(128), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("tier", sa.String(32), nullable=True),
        sa.Column("stage", sa.Integer(), nullable=True),
        sa.Column("pd", sa.Float(), nullable=True),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("exposure_minor", sa.BigInteger(), nullable=False),
        sa.Column("ecl_minor", sa.BigInteger(), nullable=False),
        sa.Column("route", sa.JSON(), nullable=False),
        sa.Column("inputs", sa.JSON(), nullable=False),
        sa.Column("outputs", sa.JSON(), nullable=False),
        sa.Column("models", sa.JSON(), nullable=False),
        sa.Column("next_review", sa.Date(), nullable=True),
        sa.Column("proposed_by", sa.String(255), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("decided_tier", sa.String(32), nullable=True),
        sa.Column("decided_by", sa.String(255), nullable=True),
        sa.Column("decided_at", UtcDateTime(), nullable=True),
        sa.Column("decision_reason", sa.Text(), nullable=True),
        sa.UniqueConstraint("loan_id", "as_of", "kind", name="uq_review_loan_as_of_kind"),
    )
    op.create_index("ix_review_status", "review", ["status", "id"])
    op.create_index("ix_review_borrower_id", "review", ["borrower_id"])
    op.create_table(
        "review_schedule",
        sa.Column("loan_id", sa.String(128), primary_key=True),
        sa.Column("next_review", sa.Date(), nullable=True),
        sa.Column("tier", sa.String(32), nullable=True),
        sa.Column("last_reviewed_on", sa.Date(), nullable=True),
        sa.Column("last_review_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
    )
    op.create_index("ix_review_schedule_next_review", "review_schedule",
                    ["next_review", "loan_id"])


def downgrade() -> None:
    op.drop_index("ix_review_schedule_next_review", "review_schedule")
    op.drop_table("review_schedule")
    op.drop_index("ix_review_borrower_id", "review")
    op.drop_index("ix_review_status", "review")
    op.drop_table("review")
