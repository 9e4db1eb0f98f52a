"""Import batches know their process (to find interrupted ones), count transient retries,
rejected rows not stored past the per-file cap, and carry warnings.

Additive only: new nullable columns, or with a server default, on ``import_batch``.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01 00:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_COLUMNS = ("pid", "hostname", "heartbeat_at", "retries", "rejects_not_stored", "warnings")


def upgrade() -> None:
    with op.batch_alter_table("import_batch") as batch:
        batch.add_column(sa.Column("pid", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("hostname", sa.String(255), nullable=True))
        batch.add_column(sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("retries", sa.Integer(), nullable=False,
                                   server_default="0"))
        batch.add_column(sa.Column("rejects_not_stored", sa.Integer(), nullable=False,
                                   server_default="0"))
        batch.add_column(sa.Column("warnings", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("import_batch") as batch:
        for name in reversed(_COLUMNS):
            batch.drop_column(name)
