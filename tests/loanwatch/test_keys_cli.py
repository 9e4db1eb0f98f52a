"""``loanwatch keys`` and the key settings: rotation from the command line, clear errors for
missing or malformed keys, and ``loanwatch migrate`` encrypting a store written in clear."""

from __future__ import annotations

import base64
import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import orjson
import pytest
from sqlalchemy import Engine, insert, select, text
from typer.testing import CliRunner

from auth.signing_keys import SigningKeyStore
from graph.data_keys import KeyRing
from graph.model import Label
from graph.stores.embedded import EmbeddedGraphStore
from graph.stores.embedded_schema import graph_meta, graph_node
from graph.vault import DEVELOPMENT_DATA_KEY, DEVELOPMENT_HASH_KEY, PersonalDataVault
from loanwatch import settings as settings_module
from loanwatch.cli.main import app
from loanwatch.errors import ConfigurationError
from loanwatch.migrations import migrate
from loanwatch.settings import Settings
from portfolio.contact_notes import NOTE_TEXT_FIELD, ContactNote
from portfolio.database import create_sql_engine
from tests.ingest.importing import EXAMPLES

K1 = base64.b64encode(b"a" * 32).decode()
K2 = base64.b64encode(b"b" * 32).decode()
IDENTIFIER_KEY = "cli-tests-identifier-key-0123456789abcdef"


@pytest.fixture
def sqlite_engine(tmp_path: Path) -> Iterator[Engine]:
    """A migrated SQLite database in a fresh file."""
    engine = create_sql_engine(f"sqlite:///{tmp_path / 'loanwatch.db'}")
    migrate(engine)
    yield engine
    engine.dispose()


@pytest.fixture(autouse=True)
def _no_loanwatch_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("LOANWATCH_"):
            monkeypatch.delenv(name)


def _env(engine: Engine, data_keys: str) -> dict[str, str]:
    return {"LOANWATCH_DATABASE_URL": engine.url.render_as_string(hide_password=False),
            "LOANWATCH_IDENTIFIER_KEY": IDENTIFIER_KEY, "LOANWATCH_DATA_KEYS": data_keys,
            "COLUMNS": "200"}


def _vault(data_keys: dict[int, bytes]) -> PersonalDataVault:
    return PersonalDataVault(KeyRing(data_keys, {1: IDENTIFIER_KEY.encode()}))


def _stored_names(engine: Engine) -> list[str]:
    with engine.connect() as conn:
        return list(conn.execute(select(graph_node.c.name).where(
            graph_node.c.label == Label.PERSON.value)).scalars())


def test_keys_rotate_moves_everything_to_the_new_key(sqlite_engine: Engine) -> None:
    runner = CliRunner()
    imported = runner.invoke(app, ["import", str(EXAMPLES)], env=_env(sqlite_engine, f"1:{K1}"))
    assert imported.exit_code in (0, 2), imported.output  # the examples hold bad rows on purpose
    names = _stored_names(sqlite_engine)
    assert names and all(name.startswith("lw1$1$") for name in names)

    rotated = runner.invoke(app, ["keys", "rotate", "--page-size", "3"],
                            env=_env(sqlite_engine, f"1:{K1},2:{K2}"))

    assert rotated.exit_code == 0, rotated.output
    assert "finished" in rotated.output and "to data key v2" in rotated.output
    assert all(name.startswith("lw1$2$") for name in _stored_names(sqlite_engine))
    status = runner.invoke(app, ["keys", "status"], env=_env(sqlite_engine, f"1:{K1},2:{K2}"))
    assert status.exit_code == 0 and "finished" in status.output, status.output
    # The old key can go: everything reads under the new one alone.
    only_new = EmbeddedGraphStore(sqlite_engine, vault=_vault({2: b"b" * 32}))
    persons = only_new.nodes_with_label(Label.PERSON)
    assert persons and all(not str(p.props["name"]).startswith("lw1$") for p in persons)


def test_a_malformed_data_key_is_named_and_nothing_changes(sqlite_engine: Engine) -> None:
    bad = base64.b64encode(b"short").decode()
    result = CliRunner().invoke(app, ["keys", "rotate"], env=_env(sqlite_engine, f"1:{bad}"))
    assert isinstance(result.exception, ConfigurationError)
    assert str(result.exception) == ("LOANWATCH_DATA_KEYS: the key of version 1 is not 32 "
                                     "bytes in base64")
    assert bad not in str(result.exception)


def test_migrate_encrypts_a_store_written_in_clear(sqlite_engine: Engine) -> None:
    with sqlite_engine.begin() as conn:  # as a release before encryption at rest wrote it
        conn.execute(graph_meta.delete())
        conn.execute(insert(graph_node).values(
            id="P1", label="Person", name="Zhang Wei", search_text="zhang wei p1",
            props=orjson.dumps({"name": "Zhang Wei", "national_id": "330102197803150011"})
            .decode()))
    env = _env(sqlite_engine, f"1:{K1}")
    refused = CliRunner().invoke(app, ["import", str(EXAMPLES / "persons.csv")], env=env)
    assert refused.exit_code != 0
    assert "written before encryption at rest" in str(refused.exception)

    result = CliRunner().invoke(app, ["migrate"], env=env)

    assert result.exit_code == 0, result.output
    assert "personal data: 1 of 1 nodes and SQL rows" in result.output
    with sqlite_engine.connect() as conn:
        row = conn.execute(select(graph_node).where(graph_node.c.id == "P1")).one()
    assert "Zhang" not in row.props + (row.name or "") + row.search_text
    graph = EmbeddedGraphStore(sqlite_engine, vault=_vault({1: b"a" * 32}))
    assert graph.get_node("P1").props["name"] == "Zhang Wei"
    assert [n.id for n in graph.search_parties("330102197803150011")] == ["P1"]
    again = CliRunner().invoke(app, ["migrate"], env=env)
    assert "personal data:" not in again.output


@pytest.mark.parametrize(("value", "message"), [
    ("1", "LOANWATCH_DATA_KEYS: entry 1 is not VERSION:KEY"),
    (f"1:{K1},1:{K2}", "LOANWATCH_DATA_KEYS: entry 2 has version 1, which is out of 1..65535 "
                       "or given twice"),
    (f"0:{K1}", "LOANWATCH_DATA_KEYS: entry 1 has version 0, which is out of 1..65535 "
                "or given twice"),
    ("1:not base64!", "LOANWATCH_DATA_KEYS: the key of version 1 is not 32 bytes in base64"),
])
def test_malformed_data_keys_are_named_without_the_key(value: str, message: str) -> None:
    settings = Settings.from_environ({"LOANWATCH_DATA_KEYS": value})
    with pytest.raises(ConfigurationError) as caught:
        _ = settings.resolved_data_keys
    assert caught.value.message == message


def test_keys_by_version_and_the_defaults() -> None:
    settings = Settings.from_environ({
        "LOANWATCH_DATA_KEYS": f"1:{K1}, 3:{K2}", "LOANWATCH_IDENTIFIER_KEY": IDENTIFIER_KEY,
        "LOANWATCH_HASH_KEYS": "2:" + "h" * 32})
    assert settings.resolved_data_keys == {1: b"a" * 32, 3: b"b" * 32}
    assert settings.resolved_hash_keys == {1: IDENTIFIER_KEY.encode(), 2: b"h" * 32}
    with pytest.raises(ConfigurationError, match="version 1 is LOANWATCH_IDENTIFIER_KEY"):
        _ = Settings.from_environ({"LOANWATCH_HASH_KEYS": "1:" + "h" * 32}).resolved_hash_keys
    with pytest.raises(ConfigurationError, match="shorter than 32"):
        _ = Settings.from_environ({"LOANWATCH_HASH_KEYS": "2:short"}).resolved_hash_keys
    production = Settings.from_environ({"LOANWATCH_ENVIRONMENT": "production"})
    with pytest.raises(ConfigurationError, match="LOANWATCH_DATA_KEYS is not set"):
        _ = production.resolved_data_keys
    # Outside production, the public development keys, the same the stores default to.
    development = Settings.from_environ({})
    assert development.resolved_data_keys == {1: DEVELOPMENT_DATA_KEY}
    assert development.resolved_hash_keys == {1: DEVELOPMENT_HASH_KEY}
    assert settings_module.DEVELOPMENT_DATA_KEY == DEVELOPMENT_DATA_KEY


def test_keys_new_prints_a_fresh_32_byte_key(tmp_path: Path) -> None:
    first, second = (CliRunner().invoke(app, ["keys", "new"]).output.strip() for _ in range(2))
    assert len(base64.b64decode(first)) == 32 and first != second


def _stored(engine: Engine, sql: str) -> list[str]:
    with engine.connect() as conn:
        return list(conn.execute(text(sql)).scalars())


def test_migrate_and_rotate_seal_notes_and_signing_keys_and_status_counts_them(
        sqlite_engine: Engine) -> None:
    now = datetime(2025, 6, 1, 9, 30, tzinfo=UTC)
    with sqlite_engine.begin() as conn:  # as revision 0013 wrote them: in clear
        conn.execute(insert(ContactNote.__table__).values(  # type: ignore[attr-defined]
            party_id="P1", channel="call", contacted_at=now, text="Moved to Hangzhou",
            author="user:ann", recorded_at=now))
    SigningKeyStore(sqlite_engine).active()  # a private key in clear
    runner = CliRunner()
    v1, v12 = _env(sqlite_engine, f"1:{K1}"), _env(sqlite_engine, f"1:{K1},2:{K2}")

    before = runner.invoke(app, ["keys", "status"], env=v1)
    migrated = runner.invoke(app, ["migrate"], env=v1)
    after = runner.invoke(app, ["keys", "status"], env=v1)

    assert before.exit_code == 0, before.output
    assert "contact notes' text (contact_note.text): 0 under v1, 0 under older keys, 1 in " \
           "clear" in before.output
    assert "(oauth_signing_key.private_pem): 0 under v1, 0 under older keys, 1 in clear" \
        in before.output
    assert "run `loanwatch keys rotate`" in before.output
    assert migrated.exit_code == 0, migrated.output
    assert "personal data: 2 of 2 nodes and SQL rows" in migrated.output
    assert [value[:6] for value in _stored(
        sqlite_engine, "SELECT text FROM contact_note UNION ALL "
        "SELECT private_pem FROM oauth_signing_key")] == ["lw1$1$", "lw1$1$"]
    assert "(contact_note.text): 1 under v1, 0 under older keys, 0 in clear" in after.output
    assert "run `loanwatch keys rotate`" not in after.output

    rotated = runner.invoke(app, ["keys", "rotate", "--page-size", "1"], env=v12)
    status = runner.invoke(app, ["keys", "status"], env=v12)

    assert rotated.exit_code == 0 and "finished" in rotated.output, rotated.output
    assert "(contact_note.text): 1 under v2, 0 under older keys, 0 in clear" in status.output
    assert "(oauth_signing_key.private_pem): 1 under v2" in status.output
    [note] = _stored(sqlite_engine, "SELECT text FROM contact_note")
    assert _vault({2: b"b" * 32}).open_text(NOTE_TEXT_FIELD, note) == "Moved to Hangzhou"
