"""Contact notes: what a collector or investigator learnt from a contact with a party."""

from __future__ import annotations

import datetime
from typing import Final

import strawberry

from portfolio.contact_notes import NOTE_TEXT_FIELD
from portfolio.contact_notes import ContactNote as ContactNoteRecord
from schema.context import Info
from schema.global_ids import RecordKind, record_global_id
from schema.permissions import personal
from schema.types.node import Node

__all__ = ["MASKED_NOTE", "ContactNote", "contact_note"]

#: What a caller without the right to read personal data sees instead of a note's text.
MASKED_NOTE: Final = "[note hidden]"


@strawberry.type(description="A note of a contact with a party (`addContactNote`).")
class ContactNote(Node):
    record: strawberry.Private[ContactNoteRecord]

    @property
    def node_id(self) -> str:
        """Whose personal data the text is, as the audit of reads in clear names it
        (:mod:`schema.personal_reads`): the party the note is about."""
        return self.record.party_id

    @strawberry.field(description="`ContactNote:<number>`.")
    def id(self) -> strawberry.ID:
        return strawberry.ID(record_global_id(RecordKind.CONTACT_NOTE, self.record.id))

    @strawberry.field(description="The party contacted.")
    def party_id(self) -> strawberry.ID:
        return strawberry.ID(self.record.party_id)

    @strawberry.field(description="The loan the contact was about, when one was named.")
    def loan_id(self) -> strawberry.ID | None:
        return None if self.record.loan_id is None else strawberry.ID(self.record.loan_id)

    @strawberry.field(description="call, visit, email, sms, letter or other.")
    def channel(self) -> str:
        return self.record.channel

    @strawberry.field(description="When the contact took place.")
    def contacted_at(self) -> datetime.datetime:
        return self.record.contacted_at

    @strawberry.field(description="Who wrote it (the OAuth subject of the caller).")
    def author(self) -> str:
        return self.record.author

    @strawberry.field(description="When Loanwatch stored it.")
    def recorded_at(self) -> datetime.datetime:
        return self.record.recorded_at

    @strawberry.field(description="What was learnt; masked without the right to read "
                      "personal data.", metadata=personal())
    def text(self, info: Info) -> str:
        """Opened only for a caller who sees it (stored sealed; a row written before notes
        were sealed reads as it is until ``loanwatch migrate`` seals it)."""
        if not info.context.personal_data_visible:
            return MASKED_NOTE
        return info.context.vault.open_text(NOTE_TEXT_FIELD, self.record.text,
                                            where=f"contact_note row {self.record.id}",
                                            clear_ok=True)


def contact_note(record: ContactNoteRecord) -> ContactNote:
    return ContactNote(record=record)
