"""Contact notes through the API, on every backend pairing: ``addContactNote`` stores the
text sealed (the raw column and the write receipt hold no clear text), reads open it for
callers who may see it, a note written in clear still reads, and a note sealed under a key
version the server lacks answers an error naming the table, row and version, never a
traceback."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import insert, text
from strawberry.types import ExecutionResult

from auth.audit_events import AuditAction
from auth.principal import SCOPES, Role
from graph.data_keys import KeyRing
from graph.vault import DEVELOPMENT_HASH_KEY, PersonalDataVault
from portfolio.contact_notes import NOTE_TEXT_FIELD, ContactNote
from schema import build_context, build_schema
from tests.principals import ListAuditSink, principal_of
from tests.writes.conftest import Stores

MASKED_SCHEMA = build_schema(mask_errors=True)
PLAIN_SCHEMA = build_schema(mask_errors=False)
READER = principal_of(Role.ADMIN)
MASKED = principal_of(Role.ADMIN, [s for s in SCOPES if s != "personal:read"])
SECRET = "New mobile 13900000000"
NOTE = {"eventId": "call-1", "partyId": "P1", "loanId": "L1", "channel": "call",
        "contactedAt": "2025-06-01T09:30:00+08:00", "text": SECRET}
ADD_NOTE = """
mutation Note($input: AddContactNoteInput!) {
  addContactNote(input: $input) {
    __typename
    ... on ContactNoteAdded { replayed note { id text } }
  }
}"""
READ_NOTE = "query Read($id: ID!) { node(id: $id) { ... on ContactNote { id text } } }"
#: Another version-9 key: a note sealed under it cannot be opened by the server's keys.
STRANGER = PersonalDataVault(KeyRing({9: b"9" * 32}, {1: DEVELOPMENT_HASH_KEY}))
DEVELOPMENT = PersonalDataVault.development()


def run(stores: Stores, document: str, *, reader: bool = True, masked: bool = True,
        audit: ListAuditSink | None = None, **variables: Any) -> ExecutionResult:
    schema = MASKED_SCHEMA if masked else PLAIN_SCHEMA

    async def go() -> ExecutionResult:
        return await schema.execute(document, variable_values=variables, context_value=(
            build_context(stores.graph, records=stores.engine, audit=audit,
                          principal=READER if reader else MASKED)))

    return asyncio.run(go())


def _raw(stores: Stores, sql: str) -> list[Any]:
    with stores.engine.connect() as connection:
        return list(connection.execute(text(sql)).scalars())


def _insert_note(stores: Stores, stored: str) -> int:
    now = datetime(2025, 6, 1, 9, 30, tzinfo=UTC)
    with stores.engine.begin() as connection:
        return int(connection.execute(insert(ContactNote.__table__).values(  # type: ignore[attr-defined]
            party_id="P1", channel="visit", contacted_at=now, text=stored, author="user:ann",
            recorded_at=now)).inserted_primary_key[0])


def test_a_note_is_stored_sealed_and_read_back_in_clear(stores: Stores) -> None:
    added = run(stores, ADD_NOTE, input=NOTE)
    assert added.errors is None and added.data is not None
    note = added.data["addContactNote"]["note"]
    assert note["text"] == SECRET

    [stored] = _raw(stores, "SELECT text FROM contact_note")
    assert stored.startswith("lw1$1$") and "13900000000" not in stored
    assert DEVELOPMENT.open_text(NOTE_TEXT_FIELD, stored) == SECRET
    receipts = _raw(stores, "SELECT result FROM write_receipt")
    assert receipts and not any("13900000000" in str(result) for result in receipts)

    read = run(stores, READ_NOTE, id=note["id"])
    hidden = run(stores, READ_NOTE, reader=False, id=note["id"])
    replay = run(stores, ADD_NOTE, input=NOTE)
    assert read.data == {"node": {"id": note["id"], "text": SECRET}}
    assert hidden.data == {"node": {"id": note["id"], "text": "[note hidden]"}}
    assert replay.data is not None
    assert replay.data["addContactNote"] == {"__typename": "ContactNoteAdded",
                                             "replayed": True, "note": note}


def test_a_note_that_looks_like_an_envelope_is_text(stores: Stores) -> None:
    added = run(stores, ADD_NOTE, input={**NOTE, "text": "lw1$9$not-a-secret"})

    assert added.errors is None and added.data is not None
    note = added.data["addContactNote"]["note"]
    assert note["text"] == "lw1$9$not-a-secret"
    assert run(stores, READ_NOTE, id=note["id"]).data == {"node": note}


def test_a_note_written_in_clear_still_reads(stores: Stores) -> None:
    note_id = _insert_note(stores, "Visited the shop: closed")

    read = run(stores, READ_NOTE, id=f"ContactNote:{note_id}")

    assert read.errors is None
    assert read.data == {"node": {"id": f"ContactNote:{note_id}",
                                  "text": "Visited the shop: closed"}}


def test_a_note_under_an_unknown_key_is_a_clear_error_not_a_traceback(stores: Stores) -> None:
    note_id = _insert_note(stores, STRANGER.seal_text(NOTE_TEXT_FIELD, "said nothing"))

    plain = run(stores, READ_NOTE, masked=False, id=f"ContactNote:{note_id}")
    production = run(stores, READ_NOTE, id=f"ContactNote:{note_id}")
    masked_reader = run(stores, READ_NOTE, reader=False, id=f"ContactNote:{note_id}")

    assert plain.errors is not None
    [error] = [e.formatted for e in plain.errors]
    assert f"contact_note row {note_id}" in error["message"]
    assert "data key version 9, which is not configured" in error["message"]
    assert "Traceback" not in str(error) and "said nothing" not in str(error)
    assert production.errors is not None
    [masked] = [e.formatted for e in production.errors]
    assert masked["message"] == "Internal server error."
    assert masked["extensions"] == {"code": "INTERNAL"}
    # A caller who sees the note masked never needs it opened.
    assert masked_reader.errors is None and masked_reader.data == {
        "node": {"id": f"ContactNote:{note_id}", "text": "[note hidden]"}}


def test_a_note_read_in_clear_is_audited_under_its_party_without_its_text(
        stores: Stores) -> None:
    audit = ListAuditSink()
    added = run(stores, ADD_NOTE, audit=audit, input=NOTE)
    assert added.data is not None
    note_id = added.data["addContactNote"]["note"]["id"]
    run(stores, READ_NOTE, audit=audit, id=note_id)
    run(stores, READ_NOTE, reader=False, audit=audit, id=note_id)  # masked: nothing to record

    reads = audit.of(AuditAction.READ_PERSONAL)
    assert [(event.targets, dict(event.detail)) for event in reads] == [
        (("P1",), {"fields": ["ContactNote.text"]})] * 2
    assert not any("13900000000" in repr(event) for event in audit.events)
