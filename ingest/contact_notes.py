"""Recording a contact note, checked like an imported row (the same converters and
reference rules) and written once per event id.

The party must be a person or a company in the graph; the loan, when given, a loan record
of that graph, and one the party borrows or guarantees (a note about a stranger's loan is a
mistake). The text is free text of at most :data:`portfolio.contact_notes.MAX_NOTE_LENGTH`
characters: personal data, stored sealed by the vault (the public development keys when none
is given), and kept out of the write receipt (a replay answers the text it was sent, which
the receipt's payload digest proves is the stored one).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

from sqlalchemy import Connection, Engine, insert

from graph.model import PARTY_LABELS, Label, RelType
from graph.store import GraphStore
from graph.vault import PersonalDataVault
from ingest.converters import choice, external_id, text
from ingest.errors import InvalidValue
from ingest.recording import RecordRejected
from portfolio.contact_notes import (
    MAX_NOTE_LENGTH,
    NOTE_TEXT_FIELD,
    ContactChannel,
    ContactNote,
)
from portfolio.write_receipts import run_once

__all__ = ["NOTE_OPERATION", "NoteAdded", "add_contact_note"]

NOTE_OPERATION: Final = "contact_note:add"
_table: Final = ContactNote.__table__  # type: ignore[attr-defined]
_channel = choice([channel.value for channel in ContactChannel])
_note_text = text(MAX_NOTE_LENGTH)
_LOAN_LINKS: Final = frozenset({RelType.BORROWS, RelType.GUARANTEES})


@dataclass(frozen=True, slots=True)
class NoteAdded:
    """The note as stored (JSON values, its ``text`` in clear), and whether the command was
    a replay."""

    note: dict[str, Any]
    replayed: bool


def _checked(name: str, convert: Any, value: Any) -> Any:
    try:
        return convert(value)
    except InvalidValue as exc:
        raise RecordRejected("INVALID_VALUE", name, exc.message) from None


def add_contact_note(engine: Engine, graph: GraphStore, *, event_id: str, party_id: str,
                     channel: str, contacted_at: datetime, note: str, author: str,
                     loan_id: str | None = None, at: datetime | None = None,
                     vault: PersonalDataVault | None = None) -> NoteAdded:
    """Store a contact note once per ``event_id``, its text sealed by ``vault``.

    Raises:
        RecordRejected: a value breaks a rule, or the party or loan is unknown or
            unrelated; nothing was written.
        IdempotencyConflict: ``event_id`` was used for another note.
    """
    party_id = _checked("party_id", external_id, party_id.strip())
    if loan_id is not None:
        loan_id = _checked("loan_id", external_id, loan_id.strip())
    channel = _checked("channel", _channel, channel)
    body = note.strip()
    if not body:
        raise RecordRejected("INVALID_VALUE", "text", "required value is missing")
    body = _checked("text", _note_text, body)
    if contacted_at.tzinfo is None:
        raise RecordRejected("INVALID_VALUE", "contacted_at", "the time has no time zone")
    now = at or datetime.now(UTC)
    if contacted_at > now:
        raise RecordRejected("INVALID_VALUE", "contacted_at",
                             f"{contacted_at.isoformat()} is in the future")
    payload: Mapping[str, Any] = {"party_id": party_id, "loan_id": loan_id,
                                  "channel": channel, "contacted_at": contacted_at.isoformat(),
                                  "text": body}

    sealed = (vault or PersonalDataVault.development()).seal_text(NOTE_TEXT_FIELD, body)

    def write(connection: Connection) -> dict[str, Any]:
        _check_references(graph, party_id, loan_id)
        row = {"party_id": party_id, "loan_id": loan_id, "channel": channel,
               "contacted_at": contacted_at, "author": author, "recorded_at": now}
        note_id = connection.execute(
            insert(_table).values(**row, text=sealed)).inserted_primary_key[0]
        # The receipt keeps no text: it is append-only, and would hold it past a rotation.
        return {**row, "id": int(note_id), "contacted_at": contacted_at.isoformat(),
                "recorded_at": now.isoformat()}

    once = run_once(engine, NOTE_OPERATION, event_id, payload, actor=author, write=write,
                    at=at)
    return NoteAdded({**once.result, "text": body}, once.replayed)


def _check_references(graph: GraphStore, party_id: str, loan_id: str | None) -> None:
    labels = graph.labels_of([party_id] if loan_id is None else [party_id, loan_id])
    found = labels.get(party_id)
    if found not in PARTY_LABELS:
        what = "nothing" if found is None else f"a {found.value}"
        raise RecordRejected("INVALID_REFERENCE", "party_id",
                             f"unknown party {party_id!r}: it names {what}")
    if loan_id is None:
        return
    if labels.get(loan_id) is not Label.LOAN:
        raise RecordRejected("INVALID_REFERENCE", "loan_id", f"unknown loan {loan_id!r}")
    edges = graph.edges_of([party_id], _LOAN_LINKS, "out")[0]
    if not any(edge.target == loan_id for edge in edges):
        raise RecordRejected("INVALID_REFERENCE", "loan_id",
                             f"party {party_id!r} neither borrows nor guarantees loan "
                             f"{loan_id!r}")
