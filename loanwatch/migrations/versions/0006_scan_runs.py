"""Versioned scan runs: the run, the ``latest`` pointer, and the results keyed by run id.

Additive only: six new tables (see ``portfolio/scan_runs.py``).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 00:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from portfolio.types import UtcDateTime

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "scan_run",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("started_at", UtcDateTime(), nullable=False),
        sa.Column("finished_at", UtcDateTime(), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("code_version", sa.String(128), nullable=False),
        sa.Column("settings", sa.JSON(), nullable=False),
        sa.Column("phases", sa.JSON(), nullable=False),
        sa.Column("summary", sa.JSON(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
    )
    op.create_table(
        "scan_pointer",
        sa.Column("name", sa.String(32), primary_key=True),
        sa.Column("run_id", sa.Integer(), sa.ForeignKey("scan_run.id"), nullable=False),
    )
    op.create_table(
        "scan_loan_result",
        sa.Column("run_id", sa.Integer(), sa.ForeignKey("scan_run.id"), primary_key=True),
        sa.Column("loan_id", sa.String(128), primary_key=True),
        sa.Column("borrower_id", sa.String(128), nullable=False),
        sa.Column("tier", sa.String(16), nullable=False),
        sa.Column("stage", sa.Integer(), nullable=False),
        sa.Column("dpd", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("exposure_minor", sa.BigInteger(), nullable=False),
        sa.Column("ecl_minor", sa.BigInteger(), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("review_flags", sa.JSON(), nullable=False),
    )
    op.create_table(
        "scan_finding",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("run_id", sa.Integer(), sa.ForeignKey("scan_run.id"), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("members", sa.JSON(), nullable=False),
        sa.Column("evidence", sa.JSON(), nullable=False),
    )
    op.create_index("ix_scan_finding_run", "scan_finding", ["run_id", "kind"])
    op.create_table(
        "scan_finding_member",
        sa.Column("finding_id", sa.Integer(), sa.ForeignKey("scan_finding.id"),
                  primary_key=True),
        sa.Column("party_id", sa.String(128), primary_key=True),
        sa.Column("run_id", sa.Integer(), sa.ForeignKey("scan_run.id"), nullable=False),
    )
    op.create_index("ix_scan_finding_member_party", "scan_finding_member",
                    ["run_id", "party_id"])
    op.create_table(
        "scan_alert",
        sa.Column("run_id", sa.Integer(), sa.ForeignKey("scan_run.id"), primary_key=True),
        sa.Column("alert_id", sa.Integer(), sa.ForeignKey("alert.id"), primary_key=True),
        sa.Column("outcome", sa.String(16), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("scan_alert")
    op.drop_index("ix_scan_finding_member_party", table_name="scan_finding_member")
    op.drop_table("scan_finding_member")
    op.drop_index("ix_scan_finding_run", table_name="scan_finding")
    op.drop_table("scan_finding")
    op.drop_table("scan_loan_result")
    op.drop_table("scan_pointer")
    op.drop_table("scan_run")
