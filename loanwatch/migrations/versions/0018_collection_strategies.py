"""Collections strategies, their actions, contact preferences and promises to pay. See
``portfolio/collection_strategies.py`` and ``portfolio/promises.py``.

Additive only: four new tables. ``collection_action`` is unique on ``(case_id, step)`` and
``promise_to_pay`` on ``(case_id, promised_for)``, so a step is planned once and a promise
recorded once however often they are asked for.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-02 05:45:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from portfolio.types import UtcDateTime

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "strategy_assignment",
        sa.Column("case_id", sa.String(139), sa.ForeignKey("collection_case.id"),
                  primary_key=True),
        sa.Column("strategy", sa.String(64), nullable=False),
        sa.Column("arm", sa.String(16), nullable=False),
        sa.Column("split", sa.Integer(), nullable=False),
        sa.Column("segment", sa.String(128), nullable=False),
        sa.Column("assigned_on", sa.Date(), nullable=False),
        sa.Column("escalations", sa.Integer(), nullable=False),
        sa.Column("assigned_at", UtcDateTime(), nullable=False),
    )
    op.create_index("ix_strategy_assignment_strategy", "strategy_assignment",
                    ["strategy", "arm"])
    op.create_table(
        "collection_action",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("case_id", sa.String(139), sa.ForeignKey("collection_case.id"),
                  nullable=False),
        sa.Column("step", sa.String(32), nullable=False),
        sa.Column("strategy", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("party_id", sa.String(128), nullable=False),
        sa.Column("planned_on", sa.Date(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("channel", sa.String(16), nullable=True),
        sa.Column("not_before", UtcDateTime(), nullable=True),
        sa.Column("executed_on", sa.Date(), nullable=True),
        sa.Column("cost_minor", sa.BigInteger(), nullable=True),
        sa.Column("cost_currency", sa.String(3), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("done_by", sa.String(255), nullable=True),
        sa.Column("context", sa.JSON(), nullable=True),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.UniqueConstraint("case_id", "step", name="uq_collection_action_case_step"),
    )
    op.create_index("ix_collection_action_status_planned_on", "collection_action",
                    ["status", "planned_on"])
    op.create_index("ix_collection_action_party_channel", "collection_action",
                    ["party_id", "channel", "executed_on"])
    op.create_table(
        "contact_preference",
        sa.Column("party_id", sa.String(128), primary_key=True),
        sa.Column("preferred_channel", sa.String(16), nullable=True),
        sa.Column("refused", sa.JSON(), nullable=False),
        sa.Column("timezone", sa.String(64), nullable=True),
        sa.Column("updated_by", sa.String(255), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
    )
    op.create_table(
        "promise_to_pay",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("case_id", sa.String(139), sa.ForeignKey("collection_case.id"),
                  nullable=False),
        sa.Column("loan_id", sa.String(128), nullable=False),
        sa.Column("borrower_id", sa.String(128), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("made_on", sa.Date(), nullable=False),
        sa.Column("promised_for", sa.Date(), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("recorded_by", sa.String(255), nullable=False),
        sa.Column("recorded_at", UtcDateTime(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("paid_minor", sa.BigInteger(), nullable=True),
        sa.Column("resolved_on", sa.Date(), nullable=True),
        sa.UniqueConstraint("case_id", "promised_for", name="uq_promise_to_pay_case_date"),
    )
    op.create_index("ix_promise_to_pay_status_date", "promise_to_pay",
                    ["status", "promised_for"])


def downgrade() -> None:
    op.drop_index("ix_promise_to_pay_status_date", "promise_to_pay")
    op.drop_table("promise_to_pay")
    op.drop_table("contact_preference")
    op.drop_index("ix_collection_action_party_channel", "collection_action")
    op.drop_index("ix_collection_action_status_planned_on", "collection_action")
    op.drop_table("collection_action")
    op.drop_index("ix_strategy_assignment_strategy", "strategy_assignment")
    op.drop_table("strategy_assignment")
