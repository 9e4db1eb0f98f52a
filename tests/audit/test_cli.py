"""``loanwatch audit verify|list|export-head|public-key`` against a SQLite database of their
own, with the development keys the settings give outside production."""

from __future__ import annotations

import asyncio
from pathlib import Path

import orjson
import pytest
from sqlalchemy import Engine

from auth.audit import AuditTrail
from auth.audit_events import AuditAction
from auth.audit_heads import HeadSigner, read_heads
from auth.principal import Role
from graph.stores.embedded import EmbeddedGraphStore
from loanwatch.cli.audit import EXIT_TAMPERED
from loanwatch.settings import Settings
from schema import build_context, build_schema
from tests.audit.trails import event, tamper
from tests.command_line import command_line_database, run_loanwatch
from tests.principals import principal_of


@pytest.fixture
def engine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Engine:
    """A database holding five entries chained with the development key, its head signed
    into the heads file the commands read."""
    engine = command_line_database(tmp_path, monkeypatch)
    heads = tmp_path / "heads.jsonl"
    monkeypatch.setenv("LOANWATCH_AUDIT_HEADS_FILE", str(heads))
    settings = Settings.from_environ({})
    sink = AuditTrail(engine, key=settings.resolved_audit_key,
                      signer=HeadSigner(settings.resolved_audit_signing_key),
                      heads_file=heads)
    for i in range(4):
        sink.record(event(i, user="ann" if i % 2 else "bob", targets=(f"P{i}",)))
    sink.record(event(4, user=None, client_id="etl", action=AuditAction.CHANGE))
    sink.close()
    return engine


def _json(capsys: pytest.CaptureFixture[str]) -> dict[str, object]:
    document = orjson.loads(capsys.readouterr().out)
    assert isinstance(document, dict)
    return document


def test_verify_says_ok_on_an_intact_trail(engine: Engine, monkeypatch: pytest.MonkeyPatch,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    assert run_loanwatch(monkeypatch, "audit", "verify") == 0
    out = capsys.readouterr().out
    assert "5 entries" in out and "1 signed heads checked (up to entry 5)" in out
    assert "OK" in out


def test_verify_names_the_first_bad_entry_and_fails(
        engine: Engine, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    tamper(engine, "UPDATE audit_log SET operation = 'nothing to see' WHERE seq = 3")
    assert run_loanwatch(monkeypatch, "audit", "verify") == EXIT_TAMPERED
    out = capsys.readouterr().out
    assert "TAMPERED" in out and "the first bad entry is 3" in out
    assert run_loanwatch(monkeypatch, "audit", "verify", "--json") == EXIT_TAMPERED
    report = _json(capsys)
    assert report["ok"] is False
    assert report["first_problem"] == {"kind": "bad-mac", "seq": 3,
                                       "message": report["problems"][0]["message"]}  # type: ignore[index]


def test_verify_with_the_public_key_alone_and_with_another(
        engine: Engine, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    assert run_loanwatch(monkeypatch, "audit", "public-key") == 0
    public = capsys.readouterr().out.strip()
    assert len(public) == 64
    assert run_loanwatch(monkeypatch, "audit", "verify", "--public-key", public) == 0
    capsys.readouterr()
    other = HeadSigner(b"\x07" * 32).public_key.hex()
    assert run_loanwatch(monkeypatch, "audit", "verify", "--public-key", other) == EXIT_TAMPERED
    assert "signature does not hold" in capsys.readouterr().out
    assert run_loanwatch(monkeypatch, "audit", "verify", "--public-key", "xyz") == 1
    assert "--public-key 'xyz' is not an Ed25519 public key" in capsys.readouterr().err


def test_list_filters_by_actor_action_target_and_time(
        engine: Engine, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    def seqs(*options: str) -> list[int]:
        assert run_loanwatch(monkeypatch, "audit", "list", "--json", *options) == 0
        return [e["seq"] for e in _json(capsys)["entries"]]  # type: ignore[attr-defined]

    assert seqs() == [5, 4, 3, 2, 1]
    assert seqs("--actor", "ann") == [4, 2]
    assert seqs("--actor", "etl") == [5]
    assert seqs("--action", "change") == [5]
    assert seqs("--target", "P2") == [3]
    assert seqs("--since", "2026-12-01T09:00:02Z", "--until", "2026-12-01T09:00:04") == [4, 3]
    assert seqs("--since", "2026-12-02") == []
    assert seqs("--limit", "2") == [5, 4]
    assert run_loanwatch(monkeypatch, "audit", "list") == 0
    assert "5 audit entries" in capsys.readouterr().out


def test_list_refuses_a_bad_time(engine: Engine, monkeypatch: pytest.MonkeyPatch,
                                 capsys: pytest.CaptureFixture[str]) -> None:
    assert run_loanwatch(monkeypatch, "audit", "list", "--since", "yesterday") == 1
    assert "--since 'yesterday' is not a date" in capsys.readouterr().err


def test_export_head_appends_a_signed_head(engine: Engine, tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    assert run_loanwatch(monkeypatch, "audit", "export-head", "--json") == 0
    assert _json(capsys)["seq"] == 5
    assert [line.head.seq for line in read_heads(tmp_path / "heads.jsonl")
            if line.head] == [5, 5]


def test_production_without_an_audit_key_is_refused(
        engine: Engine, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("LOANWATCH_ENVIRONMENT", "production")
    monkeypatch.setenv("LOANWATCH_IDENTIFIER_KEY", "i" * 40)
    assert run_loanwatch(monkeypatch, "audit", "verify") == 1
    assert "LOANWATCH_AUDIT_KEY is not set" in capsys.readouterr().err


def test_entries_chained_before_a_key_rotation_verify_with_the_previous_key(
        engine: Engine, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    new_key = "rotated-audit-key-" + "n" * 30
    monkeypatch.setenv("LOANWATCH_AUDIT_KEY", new_key)
    sink = AuditTrail(engine, key=new_key.encode())  # the chain goes on under the new key
    sink.record(event(9, user="after-rotation"))
    sink.close()
    assert run_loanwatch(monkeypatch, "audit", "verify", "--json") == EXIT_TAMPERED
    report = _json(capsys)
    assert report["first_problem"]["kind"] == "unknown-key"  # type: ignore[index]
    assert report["first_problem"]["seq"] == 1  # type: ignore[index]
    old = Settings.from_environ({}).resolved_audit_key.decode()
    monkeypatch.setenv("LOANWATCH_AUDIT_PREVIOUS_KEYS", f"{'x' * 40}, {old}")
    assert run_loanwatch(monkeypatch, "audit", "verify") == 0
    assert "6 entries" in capsys.readouterr().out


def test_a_read_of_the_trail_through_graphql_is_an_entry_verify_accepts(
        engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    settings = Settings.from_environ({})
    sink = AuditTrail(engine, key=settings.resolved_audit_key,
                      signer=HeadSigner(settings.resolved_audit_signing_key),
                      heads_file=tmp_path / "heads.jsonl")
    context = build_context(EmbeddedGraphStore(engine), principal=principal_of(Role.ADMIN),
                            records=engine, audit=sink, request_id="req-7", source="10.0.0.9")
    read = asyncio.run(build_schema(mask_errors=True).execute(
        '{ auditLog(action: CHANGE) { edges { node { seq } } } }', context_value=context))
    sink.close()
    assert read.errors is None and read.data == {"auditLog": {"edges": [{"node": {"seq": "5"}}]}}

    assert run_loanwatch(monkeypatch, "audit", "verify") == 0
    out = capsys.readouterr().out
    assert "6 entries" in out and "up to entry 6" in out and "OK" in out
    assert run_loanwatch(monkeypatch, "audit", "list", "--action", "read-audit", "--json") == 0
    [entry] = _json(capsys)["entries"]  # type: ignore[misc]
    assert (entry["seq"], entry["action"], entry["source"], entry["request_id"]) == (
        6, "read-audit", "10.0.0.9", "req-7")
    assert entry["detail"]["filters"] == {"action": "change", "first": 20}
