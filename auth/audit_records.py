"""The audit trail's table: one row per :class:`auth.audit_events.AuditEvent`, append-only.

``seq`` is the entry's place in the chain (1, 2, 3, ... with no gap: the trail assigns it,
not the database, so a removed entry leaves a hole that ``loanwatch audit verify`` sees),
and ``mac`` is HMAC-SHA256 over the previous entry's ``mac`` and this entry's columns, under
a key that is not in the database (:mod:`auth.audit_chain`). ``targets`` and ``detail`` are
JSON text and ``at`` an ISO 8601 text, stored exactly as they were chained. The database
refuses UPDATE and DELETE of the rows (and TRUNCATE on PostgreSQL): see migration 0012.
"""

from __future__ import annotations

from typing import Final

from sqlalchemy import BigInteger, Column, Index, String, Text
from sqlmodel import Field, SQLModel

__all__ = ["ACTION_LENGTH", "AT_LENGTH", "KEY_ID_LENGTH", "MAC_LENGTH", "AuditLogRow"]

#: Longest action name (``administration``), with room to grow.
ACTION_LENGTH: Final = 32
#: A key id: 16 hex digits (see :func:`auth.audit_chain.key_id`).
KEY_ID_LENGTH: Final = 16
#: ``2026-12-01T23:59:00.123456+00:00``: an instant in UTC, to the microsecond.
AT_LENGTH: Final = 32
#: An HMAC-SHA256 in hex.
MAC_LENGTH: Final = 64


class AuditLogRow(SQLModel, table=True):
    """One chained audit entry. Text columns are unbounded: an event is never refused for
    the length of what it says."""

    __tablename__ = "audit_log"
    __table_args__ = (
        Index("ix_audit_log_at", "at"),
        Index("ix_audit_log_user_login", "user_login", "seq"),
        Index("ix_audit_log_client_id", "client_id", "seq"),
        Index("ix_audit_log_action", "action", "seq"),
    )

    seq: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    #: When it happened, as chained: UTC ISO 8601 to the microsecond. Text of one fixed
    #: form sorts as the instants do, and reads back as exactly the bytes that were chained
    #: on every database.
    at: str = Field(sa_type=String(AT_LENGTH))
    action: str = Field(sa_type=String(ACTION_LENGTH))
    client_id: str = Field(sa_type=Text)
    #: ``user`` is a reserved word in PostgreSQL.
    user_login: str | None = Field(default=None, sa_type=Text, nullable=True)
    operation: str = Field(sa_type=Text)
    targets: str = Field(sa_type=Text)
    source: str = Field(sa_type=Text)
    request_id: str = Field(sa_type=Text)
    detail: str = Field(sa_type=Text)
    key_id: str = Field(sa_type=String(KEY_ID_LENGTH))
    mac: str = Field(sa_type=String(MAC_LENGTH))
