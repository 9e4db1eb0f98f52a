"""Personal data at rest: blind-index columns of the embedded graph, the graph's own facts,
and the record of key rotations (see ``graph/vault.py`` and ``portfolio/key_rotations.py``).

Additive only. Encrypting what an older release stored in clear needs the keys, which
live in the configuration, not here: ``loanwatch migrate`` runs this revision and then
encrypts (graph.upgrades.personal_data). Until it has, the stores refuse to write into the
graph and refuse to read a personal value found in clear, naming the command.

Revision ID: 0011
Revises: 0009
Create Date: 2026-12-01 23:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from portfolio.types import UtcDateTime

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ADD COLUMN (nullable): no table rebuild on SQLite, whatever the graph's size.
    op.add_column("graph_node", sa.Column("name_tokens", sa.Text(), nullable=True))
    op.add_column("graph_node", sa.Column("exact_tokens", sa.Text(), nullable=True))
    op.create_table(
        "graph_meta",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("value", sa.Text(), nullable=False),
    )
    op.create_table(
        "key_rotation",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("data_key_version", sa.Integer(), nullable=False),
        sa.Column("hash_key_version", sa.Integer(), nullable=False),
        sa.Column("phase", sa.String(32), nullable=False),
        sa.Column("position", sa.Text(), nullable=False),
        sa.Column("examined", sa.Integer(), nullable=False),
        sa.Column("resealed", sa.Integer(), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("started_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.Column("finished_at", UtcDateTime(), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("key_rotation")
    op.drop_table("graph_meta")
    with op.batch_alter_table("graph_node") as batch:
        batch.drop_column("exact_tokens")
        batch.drop_column("name_tokens")
