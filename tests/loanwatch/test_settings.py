"""Settings are read once from an injectable environment, and bad ones are refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from loanwatch.errors import ConfigurationError
from loanwatch.settings import Settings


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
