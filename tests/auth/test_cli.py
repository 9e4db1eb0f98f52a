"""``loanwatch clients``, ``users`` and ``signing-keys`` as a user runs them."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from auth.audit_events import AuditAction
from auth.audit_store import list_records
from auth.credentials import hash_token
from tests.command_line import command_line_database, run_loanwatch


@pytest.fixture
def engine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Engine:
    return command_line_database(tmp_path, monkeypatch)


def _json(capsys: pytest.CaptureFixture[str]) -> object:
    return json.loads(capsys.readouterr().out)


def test_clients_create_prints_the_secret_once_as_json(
        engine: Engine, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    code = run_loanwatch(monkeypatch, "clients", "create", "--name", "ledger sync",
                         "--scope", "portfolio:read records:write", "--json")
    assert code == 0
    created = _json(capsys)
    assert isinstance(created, dict) and set(created) == {"client_id", "client_secret"}
    with engine.connect() as connection:
        stored = connection.execute(text("SELECT secret_hash FROM oauth_client")).scalar_one()
    assert stored == hash_token(created["client_secret"])
    assert run_loanwatch(monkeypatch, "clients", "list", "--json") == 0
    [listed] = _json(capsys)  # type: ignore[misc]
    assert listed["client_id"] == created["client_id"]
    assert listed["scope"] == "portfolio:read records:write"
    assert created["client_secret"] not in json.dumps(listed)
    # The registration is in the tamper-evident audit trail, without the secret.
    [entry] = list_records(engine, action=AuditAction.ADMINISTRATION)
    assert entry.operation == "clients create" and entry.targets == (created["client_id"],)
    assert created["client_secret"] not in json.dumps(entry.as_json())


def test_a_public_client_prints_no_secret(engine: Engine, monkeypatch: pytest.MonkeyPatch,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    code = run_loanwatch(monkeypatch, "clients", "create", "--name", "console", "--public",
                         "--scope", "portfolio:read", "--redirect-uri",
                         "https://console.example/cb", "--json")
    assert code == 0
    assert _json(capsys)["client_secret"] is None  # type: ignore[index]


def test_a_bad_scope_is_an_error_without_a_traceback(
        engine: Engine, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    code = run_loanwatch(monkeypatch, "clients", "create", "--name", "x", "--scope",
                         "portfolio:write")
    assert code == 1
    err = capsys.readouterr().err
    assert "unknown scope 'portfolio:write'" in err and "Traceback" not in err


def test_clients_revoke(engine: Engine, monkeypatch: pytest.MonkeyPatch,
                        capsys: pytest.CaptureFixture[str]) -> None:
    run_loanwatch(monkeypatch, "clients", "create", "--name", "x", "--scope",
                  "portfolio:read", "--json")
    client_id = _json(capsys)["client_id"]  # type: ignore[index]
    assert run_loanwatch(monkeypatch, "clients", "revoke", client_id) == 0
    assert "revoked" in capsys.readouterr().out
    with engine.connect() as connection:
        revoked = connection.execute(text("SELECT key FROM oauth_revocation")).scalars().all()
    assert revoked == [f"client:{client_id}"]
    assert run_loanwatch(monkeypatch, "clients", "revoke", "lw-nope") == 1
    assert "no OAuth client has the id 'lw-nope'" in capsys.readouterr().err


def test_users_create_reads_the_password_from_stdin(
        engine: Engine, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO("correct horse battery\n"))
    assert run_loanwatch(monkeypatch, "users", "create", "--login", "ana", "--role",
                         "collector", "--password-stdin") == 0
    assert "user ana (collector) created" in capsys.readouterr().out
    with engine.connect() as connection:
        stored = connection.execute(text("SELECT password_hash FROM oauth_user")).scalar_one()
    assert stored.startswith("$argon2id$") and "correct horse" not in stored
    monkeypatch.setattr(sys, "stdin", io.StringIO("correct horse battery\n"))
    assert run_loanwatch(monkeypatch, "users", "create", "--login", "bo", "--role", "boss",
                         "--password-stdin") == 1
    assert "--role 'boss' is not a role" in capsys.readouterr().err


def test_signing_keys_rotate_and_list(engine: Engine, monkeypatch: pytest.MonkeyPatch,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    assert run_loanwatch(monkeypatch, "signing-keys", "rotate") == 0
    assert run_loanwatch(monkeypatch, "signing-keys", "rotate") == 0
    capsys.readouterr()
    assert run_loanwatch(monkeypatch, "signing-keys", "list", "--json") == 0
    keys = _json(capsys)
    assert isinstance(keys, list) and len(keys) == 3
    assert keys[0]["status"] == "signing"
    assert [k["status"].split(",")[0] for k in keys[1:]] == ["retired", "retired"]
    assert keys[1]["status"].startswith("retired, published until ")
