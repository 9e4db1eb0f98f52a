"""Contact notes' text and signing keys' private keys at rest, on SQLite and PostgreSQL:
stored sealed, read back in clear, rows written in clear still read and get sealed by the
key rotation, which re-seals them resumably; a signing key keeps signing, and its tokens
keep verifying, across a rotation of the data key."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import Engine, insert, select, text
from sqlalchemy.exc import DatabaseError

from auth.access_tokens import AccessTokenVerifier, new_token_id, sign_access_token
from auth.errors import AuthError
from auth.models import SigningKeyRow
from auth.revocations import Revocations
from auth.signing_keys import PEM_FIELD, SigningKeyStore
from graph.data_keys import KeyRing
from graph.errors import UnknownDataKey
from graph.stores.embedded import EmbeddedGraphStore
from graph.vault import PersonalDataVault
from jobs.key_rotation import (
    CONTACT_NOTE_PHASE,
    SIGNING_KEY_PHASE,
    RotationProgress,
    needs_sealing,
    reseal_all,
    sealed_counts,
)
from portfolio.contact_notes import NOTE_TEXT_FIELD, ContactNote
from tests.portfolio.databases import database, postgres_engine, sqlite_engine

__all__ = ["database", "postgres_engine", "sqlite_engine"]

K1, K2 = b"1" * 32, b"2" * 32
H1 = b"identifier-key-version-one-000000"
V1 = PersonalDataVault(KeyRing({1: K1}, {1: H1}))
V12 = PersonalDataVault(KeyRing({1: K1, 2: K2}, {1: H1}))
V2_ONLY = PersonalDataVault(KeyRing({2: K2}, {1: H1}))
NOTES = ("New mobile 13900000000", "Wife says he moved to Hangzhou", "Promised to pay Friday")
ISSUER, AUDIENCE = "http://127.0.0.1:8000", "loanwatch-api"
_NOTES = ContactNote.__table__  # type: ignore[attr-defined]
_KEYS = SigningKeyRow.__table__  # type: ignore[attr-defined]


def _add_notes(engine: Engine, texts: tuple[str, ...], seal: Callable[[str], str]) -> None:
    now = datetime(2025, 6, 1, 9, 30, tzinfo=UTC)
    with engine.begin() as conn:
        for body in texts:
            conn.execute(insert(_NOTES).values(party_id="P1", channel="call", contacted_at=now,
                                               text=seal(body), author="user:ann",
                                               recorded_at=now))


def _raw(engine: Engine, table: str, column: str) -> list[str]:
    key = "kid" if table == "oauth_signing_key" else "id"
    with engine.connect() as conn:
        return list(conn.execute(text(f"SELECT {column} FROM {table} ORDER BY {key}"))
                    .scalars())


def _notes(engine: Engine, vault: PersonalDataVault) -> list[str]:
    return [vault.open_text(NOTE_TEXT_FIELD, raw) for raw in _raw(engine, "contact_note", "text")]


def _rotate(engine: Engine, vault: PersonalDataVault, **options: Any) -> RotationProgress:
    return reseal_all(EmbeddedGraphStore(engine, vault=vault), engine, vault, **options)


def _verifier(store: SigningKeyStore, engine: Engine) -> AccessTokenVerifier:
    return AccessTokenVerifier(store.published, Revocations(engine, poll_s=0), issuer=ISSUER,
                               audience=AUDIENCE)


def _token(store: SigningKeyStore) -> str:
    now = int(datetime.now(UTC).timestamp())
    return sign_access_token(store.active(), {
        "iss": ISSUER, "sub": "user:ana", "aud": AUDIENCE, "exp": now + 600, "iat": now,
        "jti": new_token_id(), "client_id": "lw-console", "scope": "portfolio:read",
        "role": "analyst"})


def _subject(verifier: AccessTokenVerifier, token: str) -> str:
    return asyncio.run(verifier.verify(token)).subject


# -- contact notes ----------------------------------------------------------------------------

def test_notes_are_stored_sealed_and_a_rotation_reseals_them_resumably(
        database: Engine) -> None:
    _add_notes(database, NOTES, lambda body: V1.seal_text(NOTE_TEXT_FIELD, body))
    stored = _raw(database, "contact_note", "text")
    assert all(raw.startswith("lw1$1$") for raw in stored)
    assert not any(secret in raw for raw in stored for secret in ("13900000000", "Hangzhou"))

    states: list[RotationProgress] = []
    half = _rotate(database, V12, page_size=1, progress=states.append,
                   stop=lambda: states[-1].phase == CONTACT_NOTE_PHASE
                   and states[-1].position == "2")
    assert not half.finished and (half.phase, half.position) == (CONTACT_NOTE_PHASE, "2")
    assert [raw[:6] for raw in _raw(database, "contact_note", "text")] == \
        ["lw1$2$", "lw1$2$", "lw1$1$"]
    assert _notes(database, V12) == list(NOTES)  # readable mid-way, under both versions

    done = _rotate(database, V12, page_size=1)

    assert done.finished and done.id == half.id  # the same pass, resumed
    assert done.resealed == 3
    assert _notes(database, V2_ONLY) == list(NOTES)  # version 1 can go
    counts = {c.field.phase: (c.current, c.older, c.clear)
              for c in sealed_counts(database, V12.data_version)}
    assert counts[CONTACT_NOTE_PHASE] == (3, 0, 0)


def test_notes_written_in_clear_still_read_and_get_sealed(database: Engine) -> None:
    _add_notes(database, NOTES[:2], lambda body: body)  # as 0013 wrote them
    assert V1.open_text(NOTE_TEXT_FIELD, NOTES[0], clear_ok=True) == NOTES[0]
    assert needs_sealing(EmbeddedGraphStore(database, vault=V1), database)
    counts = {c.field.phase: (c.current, c.older, c.clear)
              for c in sealed_counts(database, V1.data_version)}
    assert counts[CONTACT_NOTE_PHASE] == (0, 0, 2)

    _rotate(database, V1)

    assert all(raw.startswith("lw1$1$") for raw in _raw(database, "contact_note", "text"))
    assert _notes(database, V1) == list(NOTES[:2])
    assert not needs_sealing(EmbeddedGraphStore(database, vault=V1), database)


def test_a_note_under_an_unknown_key_names_table_row_and_version(database: Engine) -> None:
    _add_notes(database, NOTES[:2], lambda body: V1.seal_text(NOTE_TEXT_FIELD, body))
    before = _raw(database, "contact_note", "text")

    with pytest.raises(UnknownDataKey) as caught:
        _rotate(database, V2_ONLY)

    message = str(caught.value)
    assert "contact_note row 1" in message and "data key version 1" in message
    assert "add version 1 to LOANWATCH_DATA_KEYS" in (caught.value.suggestion or "")
    assert _raw(database, "contact_note", "text") == before  # nothing of the page written


def test_the_database_lets_only_a_resealing_change_a_note(database: Engine) -> None:
    _add_notes(database, NOTES[:1], lambda body: V1.seal_text(NOTE_TEXT_FIELD, body))
    resealed = V12.seal_text(NOTE_TEXT_FIELD, NOTES[0])
    with database.begin() as conn:
        conn.execute(text("UPDATE contact_note SET text = :t"), {"t": resealed})
    assert _raw(database, "contact_note", "text") == [resealed]
    for statement in ("UPDATE contact_note SET text = 'in clear again'",
                      "UPDATE contact_note SET author = 'mallory'",
                      f"UPDATE contact_note SET text = '{resealed}', party_id = 'P9'",
                      "DELETE FROM contact_note"):
        with pytest.raises(DatabaseError, match="append-only"), database.begin() as conn:
            conn.execute(text(statement))
    assert _raw(database, "contact_note", "text") == [resealed]


# -- signing keys ---------------------------------------------------------------------------

def test_a_signing_key_is_stored_sealed_and_signs_across_a_rotation(database: Engine) -> None:
    store = SigningKeyStore(database, sealer=V1)
    token = _token(store)
    [pem] = _raw(database, "oauth_signing_key", "private_pem")
    assert pem.startswith("lw1$1$") and "PRIVATE KEY" not in pem
    assert V1.open_text(PEM_FIELD, pem).startswith("-----BEGIN")

    done = _rotate(database, V12)

    assert done.finished
    [resealed] = _raw(database, "oauth_signing_key", "private_pem")
    assert resealed.startswith("lw1$2$")
    # Only version 2 configured now: the same key signs, the old token still verifies.
    after = SigningKeyStore(database, sealer=V2_ONLY)
    verifier = _verifier(after, database)
    assert _subject(verifier, token) == "user:ana"
    assert after.active().kid == store.active().kid
    assert _subject(verifier, _token(after)) == "user:ana"


def test_a_signing_key_written_in_clear_signs_and_gets_sealed(database: Engine) -> None:
    legacy = SigningKeyStore(database)  # no sealer: in clear, as before keys were sealed
    kid = legacy.active().kid
    [pem] = _raw(database, "oauth_signing_key", "private_pem")
    assert pem.startswith("-----BEGIN")
    store = SigningKeyStore(database, sealer=V1)
    token = _token(store)  # a key in clear still signs
    assert needs_sealing(EmbeddedGraphStore(database, vault=V1), database)

    _rotate(database, V1)

    [sealed] = _raw(database, "oauth_signing_key", "private_pem")
    assert sealed.startswith("lw1$1$")
    assert _subject(_verifier(store, database), token) == "user:ana"
    assert store.active().kid == kid and _token(store)
    with pytest.raises(AuthError, match="is sealed"):
        legacy.active().private_key()  # a store without the keys cannot use it


def test_a_signing_key_under_an_unknown_key_names_table_row_and_version(
        database: Engine) -> None:
    signed_before = _token(SigningKeyStore(database, sealer=V1))
    store = SigningKeyStore(database, sealer=V2_ONLY)
    kid = store.active().kid

    with pytest.raises(UnknownDataKey) as caught:
        _token(store)

    assert f"oauth_signing_key row {kid!r}" in str(caught.value)
    assert "data key version 1" in str(caught.value)
    # Verifying needs no data key: the public key is stored in clear.
    assert _subject(_verifier(store, database), signed_before) == "user:ana"


def test_every_sealed_sql_field_is_a_phase_after_the_graph(database: Engine) -> None:
    _add_notes(database, NOTES[:1], lambda body: V1.seal_text(NOTE_TEXT_FIELD, body))
    SigningKeyStore(database, sealer=V1).active()
    states: list[RotationProgress] = []

    done = _rotate(database, V12, progress=states.append)

    phases = [state.phase for state in states]
    assert phases.index(CONTACT_NOTE_PHASE) < phases.index(SIGNING_KEY_PHASE)
    assert phases[-1] == "done" and done.resealed == 2 and done.total == 2
    with database.connect() as conn:
        assert conn.execute(select(_KEYS.c.private_pem)).scalar_one().startswith("lw1$2$")
