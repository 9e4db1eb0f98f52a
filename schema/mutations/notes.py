"""``addContactNote``: what a collector or investigator learnt from a contact with a party.

The note's text may hold personal data: it is served in clear only to callers who may read
personal data, and masked (``"[note hidden]"``) to everyone else, the author included when
their role lacks the right.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Annotated, Any, Final

import strawberry

from auth.principal import Right
from graph.vault import PersonalDataVault
from ingest.contact_notes import add_contact_note
from ingest.recording import RecordRejected
from portfolio.contact_notes import NOTE_TEXT_FIELD
from portfolio.contact_notes import ContactNote as ContactNoteRecord
from portfolio.write_receipts import IdempotencyConflict, InvalidEventId
from schema.context import Info
from schema.errors import SchemaError
from schema.mutations.caller import REPLAYED, actor_of, audit_change
from schema.mutations.errors import EventIdConflict, InvalidInput, input_error
from schema.permissions import needs
from schema.types.contact_note import ContactNote, contact_note

__all__ = ["NoteMutations"]

_NAMES: Final = {"party_id": "partyId", "loan_id": "loanId", "contacted_at": "contactedAt"}


@strawberry.input(description="A contact with a party, and what was learnt.")
class AddContactNoteInput:
    event_id: str = strawberry.field(description="The id of this note in the sending system "
                                     "(sending it again answers the first result).")
    party_id: strawberry.ID = strawberry.field(description="The party contacted.")
    loan_id: strawberry.ID | None = strawberry.field(
        default=None, description="The loan the contact was about: one the party borrows or "
        "guarantees.")
    channel: str = strawberry.field(description="call, visit, email, sms, letter or other.")
    contacted_at: datetime = strawberry.field(description="When; with a time zone, not in "
                                              "the future.")
    text: str = strawberry.field(description="What was learnt (at most 10,000 characters).")


@strawberry.type(description="The contact note was added (or had been, under this event id).")
class ContactNoteAdded:
    note: ContactNote = strawberry.field(description="The note as stored.")
    replayed: bool = strawberry.field(description=REPLAYED)


AddContactNoteResult = Annotated[
    ContactNoteAdded | InvalidInput | EventIdConflict,
    strawberry.union("AddContactNoteResult", description="The note added, or why not.")]


def _note(stored: dict[str, Any], vault: PersonalDataVault) -> ContactNote:
    # As a read finds it: sealed (a text that merely looks like an envelope stays text).
    return contact_note(ContactNoteRecord(
        id=int(stored["id"]), party_id=stored["party_id"], loan_id=stored["loan_id"],
        channel=stored["channel"], contacted_at=datetime.fromisoformat(stored["contacted_at"]),
        text=vault.seal_text(NOTE_TEXT_FIELD, stored["text"]), author=stored["author"],
        recorded_at=datetime.fromisoformat(stored["recorded_at"])))


@strawberry.type
class NoteMutations:
    @strawberry.mutation(description="Add a note of a contact with a party.",
                         metadata=needs(Right.WRITE_CONTACT_NOTES))
    async def add_contact_note(
        self, info: Info,
        input_: Annotated[AddContactNoteInput, strawberry.argument(name="input")],
    ) -> AddContactNoteResult:
        engine = info.context.records
        if engine is None:
            raise SchemaError("this server has no SQL database to record writes in")
        i = input_
        try:
            added = await asyncio.to_thread(
                add_contact_note, engine, info.context.graph, event_id=i.event_id,
                party_id=str(i.party_id), loan_id=None if i.loan_id is None else str(i.loan_id),
                channel=i.channel, contacted_at=i.contacted_at, note=i.text,
                author=actor_of(info), vault=info.context.vault)
        except (RecordRejected, IdempotencyConflict, InvalidEventId) as exc:
            return input_error(exc, _NAMES)
        audit_change(info, "addContactNote", [str(i.party_id)],
                     {"event_id": i.event_id.strip(), "replayed": added.replayed,
                      "note_id": added.note["id"]})
        return ContactNoteAdded(note=_note(added.note, info.context.vault),
                                replayed=added.replayed)
