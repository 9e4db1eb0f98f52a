"""The job machinery's state: units of work, periodic schedules and dead letters. See
``jobs/records.py``.

Additive only: three new tables.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-02 02:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from portfolio.types import UtcDateTime

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "job_unit",
        sa.Column("key", sa.String(255), primary_key=True),
        sa.Column("actor_name", sa.String(128), nullable=False),
        sa.Column("queue_name", sa.String(128), nullable=False),
        sa.Column("args", sa.JSON(), nullable=False),
        sa.Column("due_at", UtcDateTime(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.Column("enqueued_at", UtcDateTime(), nullable=True),
        sa.Column("finished_at", UtcDateTime(), nullable=True),
    )
    op.create_index("ix_job_unit_state_due", "job_unit", ["state", "due_at"])
    op.create_table(
        "job_schedule",
        sa.Column("name", sa.String(128), primary_key=True),
        sa.Column("actor_name", sa.String(128), nullable=False),
        sa.Column("queue_name", sa.String(128), nullable=False),
        sa.Column("args", sa.JSON(), nullable=False),
        sa.Column("interval_s", sa.Integer(), nullable=False),
        sa.Column("next_due_at", UtcDateTime(), nullable=False),
        sa.Column("last_due_at", UtcDateTime(), nullable=True),
        sa.Column("enabled", sa.Boolean(), nullable=False),
    )
    op.create_table(
        "job_dead_letter",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("message_id", sa.String(64), nullable=False),
        sa.Column("queue_name", sa.String(128), nullable=False),
        sa.Column("actor_name", sa.String(128), nullable=False),
        sa.Column("args", sa.JSON(), nullable=False),
        sa.Column("kwargs", sa.JSON(), nullable=False),
        sa.Column("idempotency_key", sa.String(255), nullable=True),
        sa.Column("error_class", sa.String(255), nullable=False),
        sa.Column("error_message", sa.Text(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("enqueued_at", UtcDateTime(), nullable=False),
        sa.Column("failed_at", UtcDateTime(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("resolved_at", UtcDateTime(), nullable=True),
        sa.Column("resolved_by", sa.String(255), nullable=True),
        sa.UniqueConstraint("message_id", name="uq_job_dead_letter_message_id"),
    )
    op.create_index("ix_job_dead_letter_state", "job_dead_letter", ["state", "id"])
    op.create_index("ix_job_dead_letter_idempotency_key", "job_dead_letter",
                    ["idempotency_key"])


def downgrade() -> None:
    op.drop_index("ix_job_dead_letter_idempotency_key", "job_dead_letter")
    op.drop_index("ix_job_dead_letter_state", "job_dead_letter")
    op.drop_table("job_dead_letter")
    op.drop_table("job_schedule")
    op.drop_index("ix_job_unit_state_due", "job_unit")
    op.drop_table("job_unit")
