"""The event flow's follow-ups of serious alerts: the review and the collection case each
alert opened for a loan, with the graph path that raised it. See
``portfolio/alert_follow_ups.py``.

Additive only: one new table, unique on ``(alert_id, loan_id)`` so that an event delivered
twice follows an alert up once.

Revision ID: 0021
Revises: 0017
Create Date: 2026-12-02 06:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from portfolio.types import UtcDateTime

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "alert_follow_up",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("alert_id", sa.Integer(), sa.ForeignKey("alert.id"), nullable=False),
        sa.Column("loan_id", sa.String(128), nullable=False),
        sa.Column("event_id", sa.String(255), nullable=False),
        sa.Column("rule_id", sa.String(64), nullable=False),
        sa.Column("severity", sa.String(16), nullable=False),
        sa.Column("review_id", sa.Integer(), sa.ForeignKey("review.id"), nullable=True),
        sa.Column("case_id", sa.String(139), sa.ForeignKey("collection_case.id"),
                  nullable=True),
        sa.Column("path", sa.JSON(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.UniqueConstraint("alert_id", "loan_id", name="uq_alert_follow_up_alert_loan"),
    )
    op.create_index("ix_alert_follow_up_case_id", "alert_follow_up", ["case_id"])


def downgrade() -> None:
    op.drop_index("ix_alert_follow_up_case_id", "alert_follow_up")
    op.drop_table("alert_follow_up")
