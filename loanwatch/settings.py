"""Configuration, read once from the environment into one immutable object.

Every setting is an environment variable prefixed ``LOANWATCH_``. Tests and tools build a
``Settings`` from a plain mapping with :meth:`Settings.from_environ` instead of touching
``os.environ``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from loanwatch.errors import ConfigurationError

__all__ = [
    "DEFAULT_DATA_DIR",
    "DEFAULT_HOST",
    "DEFAULT_NEO4J_BOLT_PORT",
    "DEFAULT_PORT",
    "Settings",
]

DEFAULT_DATA_DIR = Path("var")
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000
DEFAULT_NEO4J_BOLT_PORT = 7687
DEFAULT_NEO4J_CONNECT_TIMEOUT_S = 5.0
DEFAULT_IMPORT_BATCH_ROWS = 5_000
#: The currency of imported amounts whose row names none (ISO 4217).
DEFAULT_BASE_CURRENCY = "CNY"
#: Concurrent Neo4j transactions one batch of upserts is written in.
DEFAULT_NEO4J_WRITE_THREADS = 4
#: Variables with this prefix configure the test suite, not the program; they are ignored.
TEST_VARIABLE_PREFIX = "LOANWATCH_TEST_"


class Settings(BaseSettings):
    """All of Loanwatch's settings.

    ``neo4j_uri`` decides the graph backend: unset means the embedded store, kept in the
    SQL database at ``database_url``; set means Neo4j over Bolt.
    """

    model_config = SettingsConfigDict(env_prefix="LOANWATCH_", frozen=True, extra="forbid")

    environment: Literal["development", "production", "test"] = "development"
    data_dir: Path = DEFAULT_DATA_DIR
    database_url: str = ""
    neo4j_uri: str | None = None
    neo4j_user: str = "neo4j"
    neo4j_password: str = ""
    neo4j_database: str = "neo4j"
    neo4j_connect_timeout_s: float = Field(DEFAULT_NEO4J_CONNECT_TIMEOUT_S, gt=0)
    neo4j_write_threads: int = Field(DEFAULT_NEO4J_WRITE_THREADS, ge=1, le=64)
    broker_url: str | None = None
    host: str = DEFAULT_HOST
    port: int = Field(DEFAULT_PORT, ge=1, le=65535)
    import_batch_rows: int = Field(DEFAULT_IMPORT_BATCH_ROWS, ge=1, le=1_000_000)
    base_currency: str = Field(DEFAULT_BASE_CURRENCY, pattern=r"^[A-Z]{3}$")

    @field_validator("neo4j_uri", "broker_url", mode="before")
    @classmethod
    def _blank_is_none(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("neo4j_uri")
    @classmethod
    def _bolt_scheme(cls, value: str | None) -> str | None:
        schemes = ("bolt://", "bolt+s://", "bolt+ssc://", "neo4j://", "neo4j+s://", "neo4j+ssc://")
        if value is not None and not value.startswith(schemes):
            raise ValueError(f"must start with one of {', '.join(schemes)}")
        return value

    @property
    def resolved_database_url(self) -> str:
        """The SQL database URL; by default a SQLite file inside ``data_dir``."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'loanwatch.db').as_posix()}"

    @property
    def uses_neo4j(self) -> bool:
        return self.neo4j_uri is not None

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Build settings from ``environ`` (``os.environ`` when omitted).

        Raises:
            ConfigurationError: a variable is malformed; the message names it.
        """
        source = os.environ if environ is None else environ
        values = {
            key[len("LOANWATCH_"):].lower(): value
            for key, value in source.items()
            if key.startswith("LOANWATCH_") and not key.startswith(TEST_VARIABLE_PREFIX)
        }
        try:
            # Passing values explicitly keeps pydantic-settings from reading os.environ.
            return cls.model_validate(values)
        except ValidationError as exc:
            problems = "; ".join(
                f"LOANWATCH_{'_'.join(str(p) for p in err['loc']).upper()}: {err['msg']}"
                for err in exc.errors()
            )
            raise ConfigurationError(
                f"bad setting: {problems}", suggestion="fix the environment variable named"
            ) from exc
