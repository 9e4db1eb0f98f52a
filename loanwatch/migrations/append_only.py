"""Append-only tables, enforced by the database itself: triggers that refuse every UPDATE
and DELETE of a table's rows, on SQLite and PostgreSQL, so an audit trail cannot be
rewritten by a stray statement either. For the migrations that create such tables
(``loan_override``, ``model_promotion``)."""

from __future__ import annotations

from alembic import op

__all__ = ["drop_append_only", "make_append_only"]


def make_append_only(table: str, refusal: str) -> None:
    """Refuse UPDATE and DELETE on ``table`` with the message ``refusal``."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"""
            CREATE FUNCTION {table}_append_only() RETURNS trigger AS $$
            BEGIN
                RAISE EXCEPTION '{refusal}';
            END;
            $$ LANGUAGE plpgsql""")
        op.execute(f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON "
                   f"{table} FOR EACH ROW EXECUTE FUNCTION {table}_append_only()")
        return
    for event in ("UPDATE", "DELETE"):
        op.execute(f"CREATE TRIGGER {table}_no_{event.lower()} BEFORE {event} ON "
                   f"{table} BEGIN SELECT RAISE(ABORT, '{refusal}'); END")


def drop_append_only(table: str) -> None:
    """Drop what :func:`make_append_only` created on ``table``."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP TRIGGER {table}_append_only ON {table}")
        op.execute(f"DROP FUNCTION {table}_append_only()")
        return
    for event in ("update", "delete"):
        op.execute(f"DROP TRIGGER {table}_no_{event}")
