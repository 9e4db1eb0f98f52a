"""Contact notes and signing keys sealed at rest: the database lets ``keys rotate`` re-seal
a note's text, and the write receipts of notes forget the text they kept.

* ``contact_note`` stays append-only, with one exception: an UPDATE that changes nothing
  but ``text``, to a sealed value (``lw1$...``). That is what ``loanwatch migrate`` (sealing
  a note written in clear) and ``loanwatch keys rotate`` (re-sealing under a newer data key)
  do; any other change, and every DELETE, is still refused by the database.
* the receipts of ``addContactNote`` (``write_receipt`` rows of ``contact_note:add``) kept
  the note's text in clear in their answer; the answer no longer holds it (a replay answers
  the text it was sent), so it is removed from the receipts already written.

The text of notes written in clear and the private keys of signing keys are sealed by
``loanwatch migrate`` (it knows the data keys; a migration does not).

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02 02:40:00
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

import sqlalchemy as sa
from alembic import op

from loanwatch.migrations.append_only import drop_append_only, make_append_only

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_NOTE_REFUSAL: Final = ("contact_note is append-only: write a new note instead (only its "
                        "text may be re-sealed)")
_NOTE_COLUMNS: Final = ("id", "party_id", "loan_id", "channel", "contacted_at", "author",
                        "recorded_at")
_RECEIPT_REFUSAL: Final = "write_receipt is append-only: a receipt records an answer already given"
_NOTE_OPERATION: Final = "contact_note:add"


def _allow_resealing_notes() -> None:
    if op.get_bind().dialect.name == "postgresql":
        same = " AND ".join(f"NEW.{c} IS NOT DISTINCT FROM OLD.{c}" for c in _NOTE_COLUMNS)
        op.execute(f"""
            CREATE OR REPLACE FUNCTION contact_note_append_only() RETURNS trigger AS $$
            BEGIN
                IF TG_OP = 'UPDATE' AND left(NEW.text, 4) = 'lw1$' AND {same} THEN
                    RETURN NEW;
                END IF;
                RAISE EXCEPTION '{_NOTE_REFUSAL}';
            END;
            $$ LANGUAGE plpgsql""")
        return
    same = " AND ".join(f"NEW.{c} IS OLD.{c}" for c in _NOTE_COLUMNS)
    op.execute("DROP TRIGGER contact_note_no_update")
    op.execute("CREATE TRIGGER contact_note_no_update BEFORE UPDATE ON contact_note "
               f"WHEN NOT (substr(NEW.text, 1, 4) = 'lw1$' AND {same}) "
               f"BEGIN SELECT RAISE(ABORT, '{_NOTE_REFUSAL}'); END")


def _forget_note_texts_in_receipts() -> None:
    receipts = sa.table("write_receipt", sa.column("operation", sa.String),
                        sa.column("event_id", sa.String), sa.column("result", sa.JSON))
    bind = op.get_bind()
    rows = bind.execute(sa.select(receipts.c.event_id, receipts.c.result)
                        .where(receipts.c.operation == _NOTE_OPERATION)).all()
    kept = [(row.event_id, row.result) for row in rows
            if isinstance(row.result, dict) and "text" in row.result]
    if not kept:
        return
    drop_append_only("write_receipt")
    for event_id, result in kept:
        bind.execute(sa.update(receipts).where(
            (receipts.c.operation == _NOTE_OPERATION) & (receipts.c.event_id == event_id))
            .values(result={name: value for name, value in result.items() if name != "text"}))
    make_append_only("write_receipt", _RECEIPT_REFUSAL)


def upgrade() -> None:
    _allow_resealing_notes()
    _forget_note_texts_in_receipts()


def downgrade() -> None:
    # The receipts' texts are not put back (they are in the notes, sealed).
    drop_append_only("contact_note")
    make_append_only("contact_note", "contact_note is append-only: write a new note instead")
