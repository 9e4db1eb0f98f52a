"""Reading and appending the audit table: one batch per transaction, chained under a lock.

Several processes (uvicorn workers, the CLI) append to one chain. Each batch runs in one
transaction that first takes the chain's lock (a transaction-scoped advisory lock on
PostgreSQL, ``BEGIN IMMEDIATE`` on SQLite), reads the head (the last ``seq`` and ``mac``),
chains its events after it and inserts them; the primary key on ``seq`` is the backstop
that makes two writers that somehow raced fail rather than fork the chain.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

import orjson
from sqlalchemy import Connection, Engine, insert, or_, select, text

from auth.audit_chain import GENESIS_MAC, PreparedEvent, chain_mac, instant_text
from auth.audit_events import AuditAction
from auth.audit_records import AuditLogRow

__all__ = ["AuditRecord", "ChainHead", "append_batch", "iter_records", "list_records",
           "read_head"]

#: The PostgreSQL advisory lock that serialises the appenders of the chain.
_CHAIN_LOCK_ID: Final = 0x4C57_4155_4449_54  # "LWAUDIT"
#: Rows fetched per round trip while streaming the whole table.
_STREAM_ROWS: Final = 5_000

_TABLE = AuditLogRow.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True, slots=True)
class ChainHead:
    """The last entry of the chain: its ``seq`` and ``mac`` (``seq`` 0 when empty)."""

    seq: int
    mac: str


@dataclass(frozen=True, slots=True)
class AuditRecord:
    """A stored entry, as ``loanwatch audit list`` and ``Query.auditLog`` show it."""

    seq: int
    at: datetime
    action: str
    client_id: str
    user: str | None
    operation: str
    targets: tuple[str, ...]
    source: str
    request_id: str
    detail: dict[str, Any]
    key_id: str
    mac: str

    def as_json(self) -> dict[str, object]:
        return {"seq": self.seq, "at": self.at.isoformat(), "action": self.action,
                "client_id": self.client_id, "user": self.user, "operation": self.operation,
                "targets": list(self.targets), "source": self.source,
                "request_id": self.request_id, "detail": self.detail, "key_id": self.key_id,
                "mac": self.mac}


def _lock_chain(connection: Connection) -> None:
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": _CHAIN_LOCK_ID})
    elif connection.dialect.name == "sqlite":
        # pysqlite has not begun a transaction yet (it begins lazily, at the first write):
        # take the write lock now, before the head is read.
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def _head(connection: Connection) -> ChainHead:
    row = connection.execute(
        select(_TABLE.c.seq, _TABLE.c.mac).order_by(_TABLE.c.seq.desc()).limit(1)).first()
    return ChainHead(0, GENESIS_MAC) if row is None else ChainHead(int(row.seq), row.mac)


def read_head(engine: Engine) -> ChainHead:
    """The chain's last entry as stored now (``seq`` 0 when the trail is empty)."""
    with engine.connect() as connection:
        return _head(connection)


def append_batch(engine: Engine, events: Sequence[PreparedEvent], *, key: bytes,
                 key_name: str) -> ChainHead:
    """Chain ``events`` (in order) after the stored head under ``key`` (named ``key_name``,
    see :func:`auth.audit_chain.key_id`) and insert them, in one transaction.

    Returns the new head. Raises the driver's error (nothing written) when the database
    refuses or cannot be reached; the caller keeps the batch and tries again.
    """
    with engine.connect() as connection:
        _lock_chain(connection)
        head = _head(connection)
        rows: list[dict[str, object]] = []
        seq, mac = head.seq, head.mac
        for event in events:
            seq += 1
            columns = event.columns(seq, key_name)
            mac = chain_mac(key, mac, columns)
            columns["mac"] = mac
            rows.append(columns)
        if rows:
            connection.execute(insert(_TABLE), rows)
        connection.commit()
    return ChainHead(seq, mac)


def _record(row: Any) -> AuditRecord:
    return AuditRecord(seq=int(row.seq), at=datetime.fromisoformat(row.at), action=row.action,
                       client_id=row.client_id, user=row.user_login, operation=row.operation,
                       targets=tuple(str(t) for t in orjson.loads(row.targets)),
                       source=row.source, request_id=row.request_id,
                       detail=orjson.loads(row.detail), key_id=row.key_id, mac=row.mac)


def _like_escaped(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def list_records(engine: Engine, *, actor: str | None = None,
                 action: AuditAction | str | None = None, target: str | None = None,
                 since: datetime | None = None, until: datetime | None = None,
                 before_seq: int | None = None, limit: int = 100) -> list[AuditRecord]:
    """Stored entries, newest first, at most ``limit``.

    Args:
        actor: only entries whose user login or client id is ``actor``.
        action: only entries of this action.
        target: only entries naming this id among their targets.
        since: only entries at or after this instant; ``until``: strictly before it (both
            aware; ``ValueError`` otherwise).
        before_seq: only entries older than the entry ``before_seq`` (the next page).
    """
    query = select(_TABLE).order_by(_TABLE.c.seq.desc()).limit(limit)
    if actor is not None:
        query = query.where(or_(_TABLE.c.user_login == actor, _TABLE.c.client_id == actor))
    if action is not None:
        query = query.where(_TABLE.c.action == str(action))
    if target is not None:
        # ``targets`` is the JSON array as chained: an element is its JSON string, quoted.
        needle = _like_escaped(orjson.dumps(target).decode())
        query = query.where(_TABLE.c.targets.like(f"%{needle}%", escape="\\"))
    if since is not None:
        query = query.where(_TABLE.c.at >= instant_text(since))
    if until is not None:
        query = query.where(_TABLE.c.at < instant_text(until))
    if before_seq is not None:
        query = query.where(_TABLE.c.seq < before_seq)
    with engine.connect() as connection:
        return [_record(row) for row in connection.execute(query)]


def iter_records(engine: Engine) -> Iterator[dict[str, Any]]:
    """Every stored row as its raw columns, in ``seq`` order, streamed (for verify)."""
    with engine.connect() as connection:
        result = connection.execution_options(yield_per=_STREAM_ROWS).execute(
            select(_TABLE).order_by(_TABLE.c.seq))
        for row in result:
            yield dict(row._mapping)
