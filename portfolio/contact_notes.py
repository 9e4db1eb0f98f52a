"""Contact notes: what a collector or an investigator learnt from a contact with a party.

A note names the party (a person or company node) and, when the contact was about one, a
loan; who wrote it (the OAuth subject of the caller), how the contact went (``channel``),
when it happened, and the text. The text may hold personal data (a new phone number, what
a borrower said about their family), so the API serves it masked unless the caller may read
personal data, and the database holds it sealed (AES-256-GCM under the current data key,
:meth:`graph.vault.PersonalDataVault.seal_text`, field :data:`NOTE_TEXT_FIELD`). Notes are
only ever inserted: a correction is a new note. The one update the database allows is
``loanwatch keys rotate`` (or ``migrate``) re-sealing the text under a newer key.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Final

from sqlalchemy import Index, Integer, String, Text
from sqlmodel import Field, SQLModel

from portfolio.alerts import ACTOR_LENGTH
from portfolio.loans import EXTERNAL_ID_LENGTH
from portfolio.types import UtcDateTime

__all__ = ["MAX_NOTE_LENGTH", "NOTE_TEXT_FIELD", "ContactChannel", "ContactNote"]

#: Longest note text kept, in characters.
MAX_NOTE_LENGTH: Final = 10_000
#: The sealed field's name (the associated data of its ciphertext).
NOTE_TEXT_FIELD: Final = "contact_note.text"


class ContactChannel(StrEnum):
    CALL = "call"
    VISIT = "visit"
    EMAIL = "email"
    SMS = "sms"
    LETTER = "letter"
    OTHER = "other"


class ContactNote(SQLModel, table=True):
    """One contact with ``party_id`` (about ``loan_id`` when given), written by ``author``."""

    __tablename__ = "contact_note"
    __table_args__ = (Index("ix_contact_note_party_id", "party_id", "contacted_at"),)

    id: int | None = Field(default=None, primary_key=True, sa_type=Integer)
    party_id: str = Field(sa_type=String(EXTERNAL_ID_LENGTH))
    loan_id: str | None = Field(default=None, sa_type=String(EXTERNAL_ID_LENGTH))
    channel: str = Field(sa_type=String(16))
    contacted_at: datetime = Field(sa_type=UtcDateTime)
    #: Sealed (``lw1$...``); in clear only in rows written before notes were sealed.
    text: str = Field(sa_type=Text)
    author: str = Field(sa_type=String(ACTOR_LENGTH))
    recorded_at: datetime = Field(sa_type=UtcDateTime)
