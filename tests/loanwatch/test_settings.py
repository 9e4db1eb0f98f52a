"""Settings are read once from an injectable environment, and bad ones are refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from loanwatch.errors import ConfigurationError
from loanwatch.settings import DEVELOPMENT_IDENTIFIER_KEY, Settings


def test_defaults_are_the_embedded_system() -> None:
    settings = Settings.from_environ({})
    assert settings.uses_neo4j is False
    assert settings.resolved_database_url == "sqlite:///var/loanwatch.db"
    assert (settings.host, settings.port) == ("127.0.0.1", 8000)


def test_the_batch_size_setting_defaults_to_the_importers_own_default() -> None:
    # Settings sit below ingest in the layers, so the number is written in both places.
    from ingest.importer import DEFAULT_BATCH_ROWS

    assert Settings.from_environ({}).import_batch_rows == DEFAULT_BATCH_ROWS


def test_values_come_from_prefixed_variables_only() -> None:
    settings = Settings.from_environ({
        "LOANWATCH_NEO4J_URI": "bolt://db.internal:7687",
        "LOANWATCH_DATA_DIR": "/srv/lw",
        "LOANWATCH_PORT": "9000",
        "PORT": "1",
        "LOANWATCH_TEST_NEO4J_URI": "bolt://tests-only:7687",
    })
    assert settings.uses_neo4j and settings.neo4j_uri == "bolt://db.internal:7687"
    assert settings.resolved_database_url == "sqlite:////srv/lw/loanwatch.db"
    assert settings.port == 9000 and settings.data_dir == Path("/srv/lw")


def test_blank_neo4j_uri_means_embedded() -> None:
    assert Settings.from_environ({"LOANWATCH_NEO4J_URI": "  "}).uses_neo4j is False


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("LOANWATCH_NEO4J_URI", "http://localhost:7474", "LOANWATCH_NEO4J_URI: .*bolt://"),
        ("LOANWATCH_PORT", "eighty", "LOANWATCH_PORT"),
        ("LOANWATCH_PORT", "70000", "LOANWATCH_PORT"),
        ("LOANWATCH_NEO4J_URL", "bolt://x", "LOANWATCH_NEO4J_URL: Extra inputs"),
    ],
)
def test_bad_settings_name_the_variable(variable: str, value: str, message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        Settings.from_environ({variable: value})


def test_the_identifier_key_is_a_secret_read_as_bytes() -> None:
    settings = Settings.from_environ({"LOANWATCH_IDENTIFIER_KEY": "k" * 40})
    assert settings.resolved_identifier_key == b"k" * 40
    assert "kkkk" not in repr(settings) and "kkkk" not in str(settings)


def test_outside_production_a_missing_identifier_key_means_the_development_key() -> None:
    for environment in ("development", "test"):
        settings = Settings.from_environ({"LOANWATCH_ENVIRONMENT": environment,
                                          "LOANWATCH_IDENTIFIER_KEY": " "})
        assert settings.resolved_identifier_key == DEVELOPMENT_IDENTIFIER_KEY.encode()


def test_production_refuses_to_run_without_an_identifier_key() -> None:
    settings = Settings.from_environ({"LOANWATCH_ENVIRONMENT": "production"})
    with pytest.raises(ConfigurationError, match="LOANWATCH_IDENTIFIER_KEY is not set"):
        settings.resolved_identifier_key  # noqa: B018


def test_a_short_identifier_key_is_refused_without_echoing_it() -> None:
    with pytest.raises(ConfigurationError,
                       match=r"LOANWATCH_IDENTIFIER_KEY: .*at least 32 characters") as caught:
        Settings.from_environ({"LOANWATCH_IDENTIFIER_KEY": "hunter2-secret"})
    assert "hunter2" not in str(caught.value)


def test_rejected_rows_are_kept_90_days_unless_configured() -> None:
    assert Settings.from_environ({}).rejected_row_retention_days == 90
    assert Settings.from_environ(
        {"LOANWATCH_REJECTED_ROW_RETENTION_DAYS": "30"}).rejected_row_retention_days == 30
    with pytest.raises(ConfigurationError, match="LOANWATCH_REJECTED_ROW_RETENTION_DAYS"):
        Settings.from_environ({"LOANWATCH_REJECTED_ROW_RETENTION_DAYS": "0"})
