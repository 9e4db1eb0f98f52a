"""Initial schema: loans, schedules, repayments, bureau snapshots, import batches, and the
embedded graph store's node and edge tables.

Revision ID: 0001
Revises:
Create Date: 2025-01-01 00:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.String(128)
_MONEY = sa.Numeric(18, 2)


def upgrade() -> None:
    op.create_table(
        "graph_node",
        sa.Column("id", _ID, primary_key=True),
        sa.Column("label", sa.String(32), nullable=False),
        sa.Column("name", sa.Text(), nullable=True),
        sa.Column("search_text", sa.Text(), nullable=False, server_default=""),
        sa.Column("props", sa.Text(), nullable=False, server_default="{}"),
    )
    op.create_index("ix_graph_node_label", "graph_node", ["label"])
    op.create_table(
        "graph_edge",
        sa.Column("type", sa.String(32), primary_key=True),
        sa.Column("source", _ID, primary_key=True),
        sa.Column("target", _ID, primary_key=True),
        sa.Column("key", sa.String(64), primary_key=True, server_default=""),
        sa.Column("props", sa.Text(), nullable=False, server_default="{}"),
    )
    op.create_index("ix_graph_edge_source", "graph_edge", ["source", "type"])
    op.create_index("ix_graph_edge_target", "graph_edge", ["target", "type"])

    op.create_table(
        "loan",
        sa.Column("id", _ID, primary_key=True),
        sa.Column("borrower_id", _ID, nullable=False),
        sa.Column("product", sa.String(64), nullable=False),
        sa.Column("principal", _MONEY, nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("annual_rate", sa.Numeric(9, 6), nullable=False),
        sa.Column("term_months", sa.Integer(), nullable=False),
        sa.Column("disbursed_on", sa.Date(), nullable=False),
        sa.Column("maturity_on", sa.Date(), nullable=False),
        sa.Column("repayment_method", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
    )
    op.create_index("ix_loan_borrower_id", "loan", ["borrower_id"])
    op.create_table(
        "installment",
        sa.Column("loan_id", _ID, sa.ForeignKey("loan.id", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("seq", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("principal_due", _MONEY, nullable=False),
        sa.Column("interest_due", _MONEY, nullable=False),
    )
    op.create_table(
        "repayment",
        sa.Column("id", _ID, primary_key=True),
        sa.Column("loan_id", _ID, sa.ForeignKey("loan.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("paid_on", sa.Date(), nullable=False),
        sa.Column("amount", _MONEY, nullable=False),
        sa.Column("channel", sa.String(32), nullable=True),
    )
    op.create_index("ix_repayment_loan_id_paid_on", "repayment", ["loan_id", "paid_on"])
    op.create_table(
        "bureau_snapshot",
        sa.Column("id", _ID, primary_key=True),
        sa.Column("party_id", _ID, nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("open_loans", sa.Integer(), nullable=True),
        sa.Column("total_debt", _MONEY, nullable=True),
        sa.Column("overdue_accounts", sa.Integer(), nullable=True),
        sa.Column("inquiries_6m", sa.Integer(), nullable=True),
    )
    op.create_index("ix_bureau_snapshot_party_id_as_of", "bureau_snapshot",
                    ["party_id", "as_of"])

    op.create_table(
        "import_batch",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("files", sa.JSON(), nullable=False),
        sa.Column("counts", sa.JSON(), nullable=False),
        sa.Column("rows_read", sa.Integer(), nullable=False),
        sa.Column("rows_imported", sa.Integer(), nullable=False),
        sa.Column("rows_rejected", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
    )
    op.create_table(
        "rejected_row",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("batch_id", sa.Integer(),
                  sa.ForeignKey("import_batch.id", ondelete="CASCADE"), nullable=False),
        sa.Column("file", sa.Text(), nullable=False),
        sa.Column("line", sa.Integer(), nullable=False),
        sa.Column("field", sa.String(128), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("raw", sa.Text(), nullable=False),
    )
    op.create_index("ix_rejected_row_batch_id", "rejected_row", ["batch_id", "id"])


def downgrade() -> None:
    op.drop_table("rejected_row")
    op.drop_table("import_batch")
    op.drop_table("bureau_snapshot")
    op.drop_table("repayment")
    op.drop_table("installment")
    op.drop_table("loan")
    op.drop_table("graph_edge")
    op.drop_table("graph_node")
