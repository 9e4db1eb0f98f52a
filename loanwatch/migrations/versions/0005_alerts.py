"""Early-warning alerts and their append-only history.

Additive only: two new tables. At most one alert per dedupe key is not resolved (a partial
unique index, which SQLite and PostgreSQL both support).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 00:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from portfolio.types import UtcDateTime

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_LIVE = sa.text("status <> 'resolved'")


def upgrade() -> None:
    op.create_table(
        "alert",
        sa.Column("id", sa.Integer(), primary_key=True,
                  autoincrement=True),
        sa.Column("rule_id", sa.String(64), nullable=False),
        sa.Column("severity", sa.String(16), nullable=False),
        sa.Column("subject_kind", sa.String(16), nullable=False),
        sa.Column("subject_id", sa.String(128), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("assignee", sa.String(255), nullable=True),
        sa.Column("raised_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.Column("resolved_at", UtcDateTime(), nullable=True),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("signals", sa.JSON(), nullable=False),
        sa.Column("evidence", sa.JSON(), nullable=False),
        sa.Column("dedupe_key", sa.String(256), nullable=False),
    )
    op.create_index("ix_alert_status", "alert", ["status"])
    op.create_index("ix_alert_subject", "alert", ["subject_kind", "subject_id"])
    op.create_index("ix_alert_dedupe_key", "alert", ["dedupe_key"])
    op.create_index("uq_alert_dedupe_key_live", "alert", ["dedupe_key"], unique=True,
                    sqlite_where=_LIVE, postgresql_where=_LIVE)
    op.create_table(
        "alert_event",
        sa.Column("id", sa.Integer(), primary_key=True,
                  autoincrement=True),
        sa.Column("alert_id", sa.Integer(), sa.ForeignKey("alert.id"), nullable=False),
        sa.Column("at", UtcDateTime(), nullable=False),
        sa.Column("actor", sa.String(255), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("from_status", sa.String(16), nullable=True),
        sa.Column("to_status", sa.String(16), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
    )
    op.create_index("ix_alert_event_alert_id", "alert_event", ["alert_id", "id"])


def downgrade() -> None:
    op.drop_index("ix_alert_event_alert_id", table_name="alert_event")
    op.drop_table("alert_event")
    for name in ("uq_alert_dedupe_key_live", "ix_alert_dedupe_key", "ix_alert_subject",
                 "ix_alert_status"):
        op.drop_index(name, table_name="alert")
    op.drop_table("alert")
