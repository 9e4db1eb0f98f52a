"""The graph features of every party per scan run (see ``portfolio/scan_features.py``).

Additive only: two new tables keyed by the run id.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 00:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_DEGREES = ("borrows", "guarantees_given", "guaranteed_by", "owns_out", "owns_in",
            "directs_out", "directs_in", "uses", "holds", "related", "risk_degree")


def upgrade() -> None:
    op.create_table(
        "scan_party_features",
        sa.Column("run_id", sa.Integer(), sa.ForeignKey("scan_run.id"), primary_key=True),
        sa.Column("party_id", sa.String(128), primary_key=True),
        *[sa.Column(name, sa.Integer(), nullable=False) for name in _DEGREES],
        sa.Column("delinquent", sa.Boolean(), nullable=False),
        sa.Column("defaulted", sa.Boolean(), nullable=False),
        sa.Column("delinquent_share", sa.Double(), nullable=True),
        sa.Column("defaulted_share", sa.Double(), nullable=True),
        sa.Column("distance_to_default", sa.Integer(), nullable=True),
        sa.Column("community", sa.Integer(), nullable=False),
        sa.Column("pagerank", sa.Double(), nullable=False),
        sa.Column("betweenness", sa.Double(), nullable=False),
    )
    op.create_table(
        "scan_party_exposure",
        sa.Column("run_id", sa.Integer(), sa.ForeignKey("scan_run.id"), primary_key=True),
        sa.Column("party_id", sa.String(128), primary_key=True),
        sa.Column("currency", sa.String(3), primary_key=True),
        sa.Column("own_minor", sa.BigInteger(), nullable=False),
        sa.Column("within_minor", sa.BigInteger(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("scan_party_exposure")
    op.drop_table("scan_party_features")
