"""The audit trail's table (see ``auth/audit_records.py`` and ``auth/audit.py``).

Additive only: one new table, append-only in the database itself. Triggers refuse UPDATE and
DELETE of its rows on SQLite and PostgreSQL, and on PostgreSQL a statement trigger refuses
TRUNCATE too (row triggers do not see it). Whoever owns the table can still drop the
triggers: that is what the MAC chain and the signed heads are for.

Revision ID: 0012
Revises: 0009
Create Date: 2026-12-01 00:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from loanwatch.migrations.append_only import drop_append_only, make_append_only

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_REFUSAL = "audit_log is append-only: audit entries are never changed or removed"


def upgrade() -> None:
    op.create_table(
        "audit_log",
        sa.Column("seq", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("at", sa.String(32), nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("client_id", sa.Text(), nullable=False),
        sa.Column("user_login", sa.Text(), nullable=True),
        sa.Column("operation", sa.Text(), nullable=False),
        sa.Column("targets", sa.Text(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("request_id", sa.Text(), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("key_id", sa.String(16), nullable=False),
        sa.Column("mac", sa.String(64), nullable=False),
    )
    op.create_index("ix_audit_log_at", "audit_log", ["at"])
    op.create_index("ix_audit_log_user_login", "audit_log", ["user_login", "seq"])
    op.create_index("ix_audit_log_client_id", "audit_log", ["client_id", "seq"])
    op.create_index("ix_audit_log_action", "audit_log", ["action", "seq"])
    make_append_only("audit_log", _REFUSAL)
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log "
                   "FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only()")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER audit_log_no_truncate ON audit_log")
    drop_append_only("audit_log")
    for index in ("ix_audit_log_action", "ix_audit_log_client_id", "ix_audit_log_user_login",
                  "ix_audit_log_at"):
        op.drop_index(index, table_name="audit_log")
    op.drop_table("audit_log")
