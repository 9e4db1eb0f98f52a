"""``verify`` finds a changed, removed, inserted or reordered entry and a cut tail, naming
the first bad entry; on SQLite and PostgreSQL, the tampering done with raw SQL past the
append-only triggers, as the table's owner could."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from sqlalchemy import Engine, text

from auth.audit_chain import chain_mac, key_id
from auth.audit_heads import HeadSigner, append_head
from auth.audit_store import ChainHead, read_head
from auth.audit_verify import ProblemKind, verify_trail
from tests.audit.trails import KEY, SIGNER, count_rows, event, tamper, trail, verify
from tests.portfolio.databases import database, postgres_engine, sqlite_engine

__all__ = ["database", "postgres_engine", "sqlite_engine"]

ENTRIES = 12
#: Every column but ``seq`` and ``mac``: what swapping two entries' contents moves.
CONTENT = ("at", "action", "client_id", "user_login", "operation", "targets", "source",
           "request_id", "detail", "key_id")


@pytest.fixture
def heads(database: Engine, tmp_path: Path) -> Path:
    """``ENTRIES`` entries in ``database``; the head exported on close (at entry 12)."""
    path = tmp_path / "heads.jsonl"
    sink = trail(database, path)
    for i in range(ENTRIES):
        sink.record(event(i, user=f"user-{i}"))
    sink.close()
    return path


def _first(engine: Engine, heads: Path) -> tuple[ProblemKind, int | None]:
    report = verify(engine, heads)
    assert not report.ok
    first = report.first_problem
    assert first is not None
    return first.kind, first.seq


def test_an_intact_trail_verifies(database: Engine, heads: Path) -> None:
    report = verify(database, heads)
    assert report.ok and report.problems == []
    assert (report.entries, report.heads_checked, report.signed_up_to) == (ENTRIES, 1, ENTRIES)


def test_a_changed_entry_is_named_and_only_it(database: Engine, heads: Path) -> None:
    tamper(database, "UPDATE audit_log SET user_login = 'somebody-else' WHERE seq = 5")
    report = verify(database, heads)
    assert [(p.kind, p.seq) for p in report.problems] == [(ProblemKind.BAD_MAC, 5)]
    assert "entry 5" in report.problems[0].message


def test_a_changed_time_or_target_is_found(database: Engine, heads: Path) -> None:
    tamper(database, "UPDATE audit_log SET targets = '[]' WHERE seq = 2",
           "UPDATE audit_log SET at = '2020-01-01T00:00:00.000000+00:00' WHERE seq = 9")
    assert [(p.kind, p.seq) for p in verify(database, heads).problems] == \
        [(ProblemKind.BAD_MAC, 2), (ProblemKind.BAD_MAC, 9)]


def test_a_removed_entry_is_named(database: Engine, heads: Path) -> None:
    tamper(database, "DELETE FROM audit_log WHERE seq IN (4, 5)")
    assert _first(database, heads) == (ProblemKind.MISSING, 4)
    assert "entries 4 to 5 are missing" in verify(database, heads).problems[0].message


def test_an_inserted_entry_is_named(database: Engine, heads: Path) -> None:
    # Make room at 6 and insert a forged entry there, with a MAC under a guessed key.
    forged = event(99, user="mallory").at.isoformat(timespec="microseconds")
    columns = {"seq": 6, "at": forged, "action": "login", "client_id": "console",
               "user_login": "mallory", "operation": "login", "targets": "[]",
               "source": "10.0.0.66", "request_id": "", "detail": "{}", "key_id": key_id(KEY)}
    previous = _mac_of(database, 5)
    mac = chain_mac(b"a guessed key, not the audit key!!", previous, columns)
    tamper(database,
           "UPDATE audit_log SET seq = seq + 1000 WHERE seq >= 6",
           "UPDATE audit_log SET seq = seq - 999 WHERE seq >= 1000",
           "INSERT INTO audit_log (seq, at, action, client_id, user_login, operation, targets,"
           " source, request_id, detail, key_id, mac) VALUES (6, "
           f"'{forged}', 'login', 'console', 'mallory', 'login', '[]', '10.0.0.66', '', '{{}}',"
           f" '{key_id(KEY)}', '{mac}')")
    assert count_rows(database) == ENTRIES + 1
    assert _first(database, heads) == (ProblemKind.BAD_MAC, 6)


def _mac_of(engine: Engine, seq: int) -> str:
    with engine.connect() as connection:
        return str(connection.execute(text("SELECT mac FROM audit_log WHERE seq = :s"),
                                      {"s": seq}).scalar_one())


def test_two_entries_swapped_are_found_at_the_first(database: Engine, heads: Path) -> None:
    assignments = ", ".join(
        f"{c} = (SELECT {c} FROM swapped WHERE swapped.seq = 10 - audit_log.seq)"
        for c in CONTENT)
    # Contents of 3 and 7 swapped, each keeping its seq and MAC.
    tamper(database, "CREATE TEMPORARY TABLE swapped AS SELECT * FROM audit_log "
                     "WHERE seq IN (3, 7)",
           f"UPDATE audit_log SET {assignments} WHERE seq IN (3, 7)", "DROP TABLE swapped")
    report = verify(database, heads)
    assert [(p.kind, p.seq) for p in report.problems] == \
        [(ProblemKind.BAD_MAC, 3), (ProblemKind.BAD_MAC, 7)]


def test_whole_entries_renumbered_are_found(database: Engine, heads: Path) -> None:
    tamper(database, "UPDATE audit_log SET seq = 100 WHERE seq = 3",
           "UPDATE audit_log SET seq = 3 WHERE seq = 4",
           "UPDATE audit_log SET seq = 4 WHERE seq = 100")
    assert _first(database, heads) == (ProblemKind.BAD_MAC, 3)


def test_a_cut_tail_is_found_through_the_signed_head(database: Engine, heads: Path) -> None:
    tamper(database, "DELETE FROM audit_log WHERE seq >= 9")
    assert _first(database, heads) == (ProblemKind.TRUNCATED, 9)
    assert "entries 9 to 12 were removed" in verify(database, heads).problems[0].message
    # Without the heads, what remains is a valid chain: only the note says what is unchecked.
    bare = verify(database, None)
    assert bare.ok and "cut tail cannot be detected" in bare.notes[0]


def test_a_replaced_tail_is_found_through_the_signed_head(database: Engine, heads: Path) -> None:
    # Cut the last entry and chain a new one in its place with the real key (an insider
    # who has the key but not the signing key): the MACs hold, the signed head does not.
    tamper(database, f"DELETE FROM audit_log WHERE seq = {ENTRIES}")
    sink = trail(database)
    sink.record(event(500, user="cover-story"))
    sink.close()
    report = verify(database, heads)
    assert [(p.kind, p.seq) for p in report.problems] == [(ProblemKind.HEAD_MISMATCH, ENTRIES)]


def test_a_forged_or_altered_head_is_reported(database: Engine, heads: Path) -> None:
    lines = heads.read_bytes().splitlines()
    altered = orjson.loads(lines[0])
    altered["seq"] = 3
    impostor = HeadSigner(b"\x01" * 32).sign(ChainHead(12, "0" * 64), event(0).at)
    heads.write_bytes(b"\n".join([lines[0], orjson.dumps(altered), b"not json"]) + b"\n")
    append_head(heads, impostor)
    report = verify(database, heads)
    assert [(p.kind, p.message.split(":")[0]) for p in report.problems] == [
        (ProblemKind.BAD_HEAD, "heads file line 2 (seq 3)"),
        (ProblemKind.BAD_HEAD, "heads file line 3"),
        (ProblemKind.BAD_HEAD, "heads file line 4 (seq 12)"),
    ]
    assert report.heads_checked == 1


def test_a_chain_rewritten_under_another_key_is_found(database: Engine, heads: Path) -> None:
    other = b"another key the writer of the table chose" * 2
    rows = []
    previous = "0" * 64
    with database.connect() as connection:
        for row in connection.execute(text("SELECT * FROM audit_log ORDER BY seq")):
            columns = dict(row._mapping)
            columns["user_login"] = "nobody"
            previous = chain_mac(other, previous, columns)
            rows.append((columns["seq"], previous))
    tamper(database, "UPDATE audit_log SET user_login = 'nobody'",
           *(f"UPDATE audit_log SET mac = '{mac}' WHERE seq = {seq}" for seq, mac in rows))
    assert _first(database, heads) == (ProblemKind.BAD_MAC, 1)
    assert verify_trail(database, keys={key_id(other): other}, heads_file=heads,
                        public_key=SIGNER.public_key).first_problem.kind \
        == ProblemKind.UNKNOWN_KEY  # type: ignore[union-attr]


def test_the_head_reads_the_last_entry(database: Engine, heads: Path) -> None:
    assert read_head(database).seq == ENTRIES
