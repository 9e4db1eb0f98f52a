"""The tests' own servers, and what happens when one cannot be reached."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import make_url

from loanwatch.settings import DEFAULT_DATA_DIR, DEFAULT_NEO4J_BOLT_PORT, Settings
from tests.services import DEFAULT_NEO4J_URI, DEFAULT_POSTGRES_URL, unreachable

REPO = Path(__file__).resolve().parents[1]


def test_in_ci_an_unreachable_server_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="Redis at redis://x is unreachable"):
        unreachable("Redis", "redis://x", OSError("refused"))


def test_elsewhere_it_skips(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception,
                       match=r"start the test servers with `tools/services\.sh start`"):
        unreachable("Redis", "redis://x", OSError("refused"))


def test_the_default_test_neo4j_is_not_the_users() -> None:
    assert DEFAULT_NEO4J_URI == "bolt://127.0.0.1:7688"
    assert not DEFAULT_NEO4J_URI.endswith(f":{DEFAULT_NEO4J_BOLT_PORT}")
    services = (REPO / "tools" / "services.sh").read_text()
    assert "NEO4J_BOLT=127.0.0.1:7688" in services
    assert 'NEO4J_DATA_DIR="$VAR_DIR/neo4j-test"' in services


def test_the_default_test_database_is_the_test_one() -> None:
    assert make_url(DEFAULT_POSTGRES_URL).database == "loanwatch_test"
    assert "PG_DATABASE=loanwatch_test\n" in (REPO / "tools" / "services.sh").read_text()


def test_commands_run_by_tests_never_reach_the_users_settings_or_var() -> None:
    settings = Settings.from_environ()

    assert settings.neo4j_uri is None
    assert settings.uses_default_database
    assert settings.data_dir != DEFAULT_DATA_DIR
    assert not settings.data_dir.resolve().is_relative_to(REPO)
    assert settings.resolved_database_url.endswith("/loanwatch.db")


def test_settings_built_from_a_mapping_ignore_the_process_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("LOANWATCH_NEO4J_URI", "bolt://the-users-own:7687")
    monkeypatch.setenv("LOANWATCH_DATA_DIR", "/home/user/loanwatch")

    settings = Settings.from_environ({"LOANWATCH_PORT": "9000"})

    assert settings.neo4j_uri is None
    assert settings.data_dir == DEFAULT_DATA_DIR
    assert settings.port == 9000
