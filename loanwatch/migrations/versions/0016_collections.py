"""Collections: daily runs, the history of delinquency-bucket moves, collection cases and
the trail of their transitions. See ``portfolio/collections.py``.

Additive only: four new tables. ``bucket_move`` and ``collection_case_event`` are
append-only in the database itself (history is never rewritten); a loan has at most one
case that is not closed (a partial unique index, on SQLite and PostgreSQL alike).

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-02 02:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from loanwatch.migrations.append_only import drop_append_only, make_append_only
from portfolio.types import UtcDateTime

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "collection_run",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("started_at", UtcDateTime(), nullable=False),
        sa.Column("finished_at", UtcDateTime(), nullable=False),
        sa.Column("actor", sa.String(255), nullable=False),
        sa.Column("config", sa.JSON(), nullable=False),
        sa.Column("summary", sa.JSON(), nullable=False),
        sa.UniqueConstraint("as_of", name="uq_collection_run_as_of"),
    )
    op.create_table(
        "bucket_move",
        sa.Column("loan_id", sa.String(128), primary_key=True),
        sa.Column("effective_on", sa.Date(), primary_key=True),
        sa.Column("from_bucket", sa.String(32), nullable=True),
        sa.Column("to_bucket", sa.String(32), nullable=False),
        sa.Column("dpd", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("run_id", sa.Integer(), sa.ForeignKey("collection_run.id"), nullable=False),
    )
    op.create_index("ix_bucket_move_effective_on", "bucket_move", ["effective_on"])
    make_append_only("bucket_move", "bucket_move is append-only: the bucket history is "
                                    "never rewritten")
    op.create_table(
        "collection_case",
        sa.Column("id", sa.String(139), primary_key=True),
        sa.Column("loan_id", sa.String(128), nullable=False),
        sa.Column("borrower_id", sa.String(128), nullable=False),
        sa.Column("opened_on", sa.Date(), nullable=False),
        sa.Column("closed_on", sa.Date(), nullable=True),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("bucket", sa.String(32), nullable=False),
        sa.Column("bucket_since", sa.Date(), nullable=False),
        sa.Column("dpd", sa.Integer(), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("outstanding_minor", sa.BigInteger(), nullable=False),
        sa.Column("risk_tier", sa.String(16), nullable=False),
        sa.Column("balance_band", sa.String(32), nullable=False),
        sa.Column("behaviour", sa.String(16), nullable=False),
        sa.Column("segment", sa.String(128), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.UniqueConstraint("loan_id", "opened_on", name="uq_collection_case_loan_opened"),
    )
    op.create_index("ix_collection_case_state", "collection_case", ["state"])
    op.create_index("uq_collection_case_live_loan", "collection_case", ["loan_id"],
                    unique=True, sqlite_where=sa.text("closed_on IS NULL"),
                    postgresql_where=sa.text("closed_on IS NULL"))
    op.create_table(
        "collection_case_event",
        sa.Column("case_id", sa.String(139), sa.ForeignKey("collection_case.id"),
                  primary_key=True),
        sa.Column("seq", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("event", sa.String(16), nullable=False),
        sa.Column("from_state", sa.String(16), nullable=True),
        sa.Column("to_state", sa.String(16), nullable=False),
        sa.Column("from_bucket", sa.String(32), nullable=True),
        sa.Column("to_bucket", sa.String(32), nullable=True),
        sa.Column("dpd", sa.Integer(), nullable=True),
        sa.Column("effective_on", sa.Date(), nullable=False),
        sa.Column("actor", sa.String(255), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("run_id", sa.Integer(), sa.ForeignKey("collection_run.id"), nullable=True),
        sa.Column("recorded_at", UtcDateTime(), nullable=False),
    )
    make_append_only("collection_case_event", "collection_case_event is append-only: the "
                                              "transitions of a case are never rewritten")


def downgrade() -> None:
    drop_append_only("collection_case_event")
    op.drop_table("collection_case_event")
    op.drop_index("uq_collection_case_live_loan", "collection_case")
    op.drop_index("ix_collection_case_state", "collection_case")
    op.drop_table("collection_case")
    drop_append_only("bucket_move")
    op.drop_index("ix_bucket_move_effective_on", "bucket_move")
    op.drop_table("bucket_move")
    op.drop_table("collection_run")
