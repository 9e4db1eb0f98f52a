"""Disposals under maker-checker: restructurings, write-offs, recoveries after write-off and
collateral disposals, and the trail of their transitions. See ``portfolio/disposals.py``.

Additive only: two new tables. ``disposal_event`` is append-only in the database itself;
a loan has at most one proposal waiting and a collateral item at most one disposal that
was not rejected (partial unique indexes, on SQLite and PostgreSQL alike).

Revision ID: 0019
Revises: 0017
Create Date: 2026-12-02 06:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from loanwatch.migrations.append_only import drop_append_only, make_append_only
from portfolio.types import UtcDateTime

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_WAITING = "state = 'proposed'"
_LIVE_COLLATERAL = "collateral_id IS NOT NULL AND state != 'rejected'"


def upgrade() -> None:
    op.create_table(
        "disposal",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("loan_id", sa.String(128), nullable=False),
        sa.Column("kind", sa.String(24), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("effective_on", sa.Date(), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=True),
        sa.Column("collateral_id", sa.String(128), nullable=True),
        sa.Column("terms", sa.JSON(), nullable=False),
        sa.Column("plan", sa.JSON(), nullable=False),
        sa.Column("outcome", sa.JSON(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("proposed_by", sa.String(255), nullable=False),
        sa.Column("proposed_at", UtcDateTime(), nullable=False),
        sa.Column("decided_by", sa.String(255), nullable=True),
        sa.Column("decided_at", UtcDateTime(), nullable=True),
        sa.Column("decision_reason", sa.Text(), nullable=True),
    )
    op.create_index("ix_disposal_state", "disposal", ["state", "id"])
    op.create_index("ix_disposal_loan_id", "disposal", ["loan_id", "id"])
    op.create_index("uq_disposal_waiting_loan", "disposal", ["loan_id"], unique=True,
                    sqlite_where=sa.text(_WAITING), postgresql_where=sa.text(_WAITING))
    op.create_index("uq_disposal_collateral", "disposal", ["collateral_id"], unique=True,
                    sqlite_where=sa.text(_LIVE_COLLATERAL),
                    postgresql_where=sa.text(_LIVE_COLLATERAL))
    op.create_table(
        "disposal_event",
        sa.Column("disposal_id", sa.Integer(), sa.ForeignKey("disposal.id"),
                  primary_key=True, autoincrement=False),
        sa.Column("seq", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("event", sa.String(16), nullable=False),
        sa.Column("from_state", sa.String(16), nullable=True),
        sa.Column("to_state", sa.String(16), nullable=False),
        sa.Column("actor", sa.String(255), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("recorded_at", UtcDateTime(), nullable=False),
    )
    make_append_only("disposal_event", "disposal_event is append-only: the transitions of "
                                       "a disposal are never rewritten")


def downgrade() -> None:
    drop_append_only("disposal_event")
    op.drop_table("disposal_event")
    op.drop_index("uq_disposal_collateral", "disposal")
    op.drop_index("uq_disposal_waiting_loan", "disposal")
    op.drop_index("ix_disposal_loan_id", "disposal")
    op.drop_index("ix_disposal_state", "disposal")
    op.drop_table("disposal")
