"""Trusted GraphQL documents, registered ahead of time and named by their SHA-256.

Front ends compile their queries at build time and ship a manifest (Relay's
``persisted-queries.json``, Apollo's ``persisted-query-manifest.json``); an operator registers
it with ``loanwatch documents register``. Clients then send only the hash, and in production
the API can refuse every document that is not registered. Only the command line registers
documents; no client request ever does.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Final

from sqlalchemy import Engine, String, Text, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Field, SQLModel

from portfolio.errors import PortfolioError
from portfolio.types import UtcDateTime

__all__ = [
    "DOCUMENT_NAME_LENGTH",
    "PersistedDocument",
    "document_hash",
    "find_documents",
    "register_documents",
]

DOCUMENT_NAME_LENGTH: Final = 255
_HASH_LENGTH: Final = 64


class PersistedDocument(SQLModel, table=True):
    """One registered document: its SHA-256 (hex, of the UTF-8 text), the text, the
    operation name when the manifest gives one, and when it was registered."""

    __tablename__ = "persisted_document"

    sha256: str = Field(primary_key=True, sa_type=String(_HASH_LENGTH))
    body: str = Field(sa_type=Text)
    name: str | None = Field(default=None, sa_type=String(DOCUMENT_NAME_LENGTH))
    registered_at: datetime = Field(sa_type=UtcDateTime)


_table: Final = PersistedDocument.__table__  # type: ignore[attr-defined]


def document_hash(body: str) -> str:
    """The SHA-256 of ``body`` in UTF-8, as lower-case hex (what Apollo and Relay send)."""
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def register_documents(engine: Engine, documents: Iterable[tuple[str, str | None]], *,
                       at: datetime | None = None) -> int:
    """Register ``(body, name)`` pairs under their hashes; return how many were new.

    Registering a document again changes nothing (the hash names the text).

    Raises:
        PortfolioError: a body is empty.
    """
    now = at or datetime.now(UTC)
    rows = {}
    for body, name in documents:
        if not body.strip():
            raise PortfolioError("a persisted document is empty")
        rows[document_hash(body)] = {"sha256": document_hash(body), "body": body,
                                     "name": None if name is None
                                     else name[:DOCUMENT_NAME_LENGTH],
                                     "registered_at": now}
    if not rows:
        return 0
    dialect_insert = postgresql.insert if engine.dialect.name == "postgresql" \
        else sqlite.insert
    with engine.begin() as connection:
        known = set(find_documents(engine, list(rows), connection=connection))
        connection.execute(dialect_insert(_table).on_conflict_do_nothing(
            index_elements=["sha256"]), list(rows.values()))
    return len(set(rows) - known)


def find_documents(engine: Engine, hashes: Sequence[str], *,
                   connection: object | None = None) -> dict[str, str]:
    """The registered bodies of ``hashes`` that are known: hash -> body."""
    if not hashes:
        return {}
    query = select(_table.c.sha256, _table.c.body).where(_table.c.sha256.in_(list(hashes)))
    if connection is not None:
        return dict(connection.execute(query).all())  # type: ignore[attr-defined]
    with engine.connect() as own:
        return {sha: body for sha, body in own.execute(query).all()}
