"""What the API's writes keep: receipts of accepted writes (idempotency by event id),
contact notes, and the registered (persisted) GraphQL documents. See
``portfolio/write_receipts.py``, ``portfolio/contact_notes.py`` and
``portfolio/persisted_documents.py``.

Additive only: three new tables. ``contact_note`` and ``write_receipt`` are append-only in
the database itself (a correction is a new note, a receipt is the record of an answer).

Revision ID: 0013
Revises: 0009
Create Date: 2026-12-01 23:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from loanwatch.migrations.append_only import drop_append_only, make_append_only
from portfolio.types import UtcDateTime

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "write_receipt",
        sa.Column("operation", sa.String(64), primary_key=True),
        sa.Column("event_id", sa.String(128), primary_key=True),
        sa.Column("payload_sha256", sa.String(64), nullable=False),
        sa.Column("result", sa.JSON(), nullable=False),
        sa.Column("actor", sa.String(255), nullable=False),
        sa.Column("recorded_at", UtcDateTime(), nullable=False),
    )
    make_append_only("write_receipt", "write_receipt is append-only: a receipt records "
                                      "an answer already given")
    op.create_table(
        "contact_note",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("party_id", sa.String(128), nullable=False),
        sa.Column("loan_id", sa.String(128), nullable=True),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("contacted_at", UtcDateTime(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("author", sa.String(255), nullable=False),
        sa.Column("recorded_at", UtcDateTime(), nullable=False),
    )
    op.create_index("ix_contact_note_party_id", "contact_note", ["party_id", "contacted_at"])
    make_append_only("contact_note", "contact_note is append-only: write a new note instead")
    op.create_table(
        "persisted_document",
        sa.Column("sha256", sa.String(64), primary_key=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("name", sa.String(255), nullable=True),
        sa.Column("registered_at", UtcDateTime(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("persisted_document")
    drop_append_only("contact_note")
    op.drop_index("ix_contact_note_party_id", "contact_note")
    op.drop_table("contact_note")
    drop_append_only("write_receipt")
    op.drop_table("write_receipt")
