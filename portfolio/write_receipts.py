"""Receipts of the writes the API accepted, so that a write replayed is not written twice.

A client sends every write with an *event id* of its choosing (the id of the event in its
own system: a payment message, a bureau file, a call). The first write of
``(operation, event_id)`` stores a :class:`WriteReceipt` with the SHA-256 of its canonical
payload and the result it answered, in the same transaction as the write itself. A replay
with the same payload finds the receipt and answers the stored result without writing; a
different payload under the same event id is a conflict (:class:`IdempotencyConflict`),
never a silent overwrite. A write that fails leaves no receipt, so the client may correct
it and send it again under the same event id.

:func:`run_once` is the one entry point the write services use.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

from sqlalchemy import JSON, Column, Connection, Engine, String, insert, select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Field, SQLModel

from portfolio.alerts import ACTOR_LENGTH
from portfolio.errors import PortfolioError
from portfolio.loans import EXTERNAL_ID_LENGTH
from portfolio.types import UtcDateTime

__all__ = [
    "OPERATION_LENGTH",
    "IdempotencyConflict",
    "InvalidEventId",
    "Once",
    "WriteReceipt",
    "check_event_id",
    "payload_digest",
    "run_once",
]

OPERATION_LENGTH: Final = 64
_DIGEST_LENGTH: Final = 64


class WriteReceipt(SQLModel, table=True):
    """One accepted write: which operation, under which event id, with what payload
    (its SHA-256), by whom, when, and the result it answered (JSON)."""

    __tablename__ = "write_receipt"

    operation: str = Field(primary_key=True, sa_type=String(OPERATION_LENGTH))
    event_id: str = Field(primary_key=True, sa_type=String(EXTERNAL_ID_LENGTH))
    payload_sha256: str = Field(sa_type=String(_DIGEST_LENGTH))
    result: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    actor: str = Field(sa_type=String(ACTOR_LENGTH))
    recorded_at: datetime = Field(sa_type=UtcDateTime)


_receipt: Final = WriteReceipt.__table__  # type: ignore[attr-defined]


class IdempotencyConflict(PortfolioError):
    """The event id was already used by a write of this operation with another payload."""

    def __init__(self, operation: str, event_id: str, recorded_at: datetime) -> None:
        super().__init__(
            f"event {event_id!r} was already recorded by {operation} at "
            f"{recorded_at:%Y-%m-%d %H:%M:%S} UTC with a different payload; nothing was written",
            suggestion="send a correction under a new event id")
        self.operation = operation
        self.event_id = event_id


class InvalidEventId(PortfolioError):
    """An event id is empty or longer than the longest external id."""


@dataclass(frozen=True, slots=True)
class Once:
    """What :func:`run_once` answered: the result, and whether it was a replay."""

    result: dict[str, Any]
    replayed: bool


def payload_digest(payload: Mapping[str, Any]) -> str:
    """The SHA-256 of ``payload`` as canonical JSON (sorted keys, no spaces); values that
    are not JSON (dates, decimals) count as their text."""
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str,
                      ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def check_event_id(event_id: str) -> str:
    """``event_id`` stripped.

    Raises:
        InvalidEventId: it is empty or longer than ``EXTERNAL_ID_LENGTH`` characters.
    """
    cleaned = event_id.strip()
    if not cleaned or len(cleaned) > EXTERNAL_ID_LENGTH:
        raise InvalidEventId(f"an event id must have 1 to {EXTERNAL_ID_LENGTH} characters, "
                             f"got {len(cleaned)}")
    return cleaned


def run_once(engine: Engine, operation: str, event_id: str, payload: Mapping[str, Any], *,
             actor: str, write: Callable[[Connection], dict[str, Any]],
             finish: Callable[[], None] | None = None, at: datetime | None = None) -> Once:
    """Run ``write`` once per ``(operation, event_id)``, in one transaction with its receipt.

    ``write`` receives the open transaction's connection, writes, and returns the result
    (JSON-able) that this and every replay answer. Whatever it raises rolls the whole
    transaction back: no record and no receipt are left. ``finish``, when given, writes to
    another store (Neo4j): it runs once the receipt is inserted, just before the commit,
    so that a failure of the records or the receipt leaves that store untouched, and a
    failure of ``finish`` rolls the records and the receipt back.

    Two clients sending the same event at the same moment: both may run ``write``, but only
    one receipt can be inserted; the other transaction rolls back and answers the
    receipt that won (a replay or a conflict, as if it had come second).

    Raises:
        IdempotencyConflict: ``event_id`` was used with another payload.
        InvalidEventId: ``event_id`` is empty or too long.
    """
    event_id = check_event_id(event_id)
    digest = payload_digest(payload)
    found = _answer(engine, operation, event_id, digest)
    if found is not None:
        return found
    try:
        with engine.begin() as connection:
            result = write(connection)
            connection.execute(insert(_receipt).values(
                operation=operation, event_id=event_id, payload_sha256=digest,
                result=result, actor=actor, recorded_at=at or datetime.now(UTC)))
            if finish is not None:
                finish()
    except IntegrityError:
        found = _answer(engine, operation, event_id, digest)
        if found is None:  # the integrity error was the write's own, not the receipt's
            raise
        return found
    return Once(result, replayed=False)


def _answer(engine: Engine, operation: str, event_id: str, digest: str) -> Once | None:
    """The stored answer to a replay of ``event_id``, or ``None`` when it is new."""
    with engine.connect() as connection:
        row = connection.execute(
            select(_receipt.c.payload_sha256, _receipt.c.result, _receipt.c.recorded_at)
            .where(_receipt.c.operation == operation, _receipt.c.event_id == event_id)
        ).first()
    if row is None:
        return None
    if row.payload_sha256 != digest:
        raise IdempotencyConflict(operation, event_id, row.recorded_at)
    return Once(dict(row.result), replayed=True)
