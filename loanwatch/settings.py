"""Configuration, read once from the environment into one immutable object.

Every setting is an environment variable prefixed ``LOANWATCH_``. Tests and tools build a
``Settings`` from a plain mapping with :meth:`Settings.from_environ` instead of touching
``os.environ``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from limits import parse as parse_rate
from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from loanwatch.errors import ConfigurationError
from loanwatch.notification_settings import NotificationSettings
from loanwatch.post_loan_settings import PostLoanSettings
from loanwatch.setting_defaults import (
    DATA_KEY_BYTES,
    DEFAULT_AUDIT_FLUSH_INTERVAL_S,
    DEFAULT_AUDIT_HEAD_INTERVAL_S,
    DEFAULT_AUDIT_MAX_PENDING,
    DEFAULT_AUTH_FAILURE_LIMIT,
    DEFAULT_BASE_CURRENCY,
    DEFAULT_DATA_DIR,
    DEFAULT_HEAVY_QUERY_COST,
    DEFAULT_HEAVY_QUERY_SLOTS,
    DEFAULT_HEAVY_QUERY_WAIT_S,
    DEFAULT_HOST,
    DEFAULT_IMPORT_BATCH_ROWS,
    DEFAULT_NEO4J_BOLT_PORT,
    DEFAULT_NEO4J_CONNECT_TIMEOUT_S,
    DEFAULT_OAUTH_ACCESS_TOKEN_TTL_S,
    DEFAULT_OAUTH_AUDIENCE,
    DEFAULT_OAUTH_REFRESH_TOKEN_TTL_S,
    DEFAULT_PORT,
    DEFAULT_QUERY_MAX_COST,
    DEFAULT_QUERY_TIME_LIMIT_S,
    DEFAULT_REJECTED_ROW_RETENTION_DAYS,
    DEFAULT_WS_INIT_TIMEOUT_S,
    DEFAULT_WS_MAX_CONNECTIONS,
    DEFAULT_WS_MAX_CONNECTIONS_PER_CLIENT,
    DEFAULT_WS_MAX_SUBSCRIPTIONS,
    DEFAULT_WS_TOKEN_RECHECK_S,
    DEVELOPMENT_AUDIT_KEY,
    DEVELOPMENT_AUDIT_SIGNING_SEED,
    DEVELOPMENT_DATA_KEY,
    DEVELOPMENT_IDENTIFIER_KEY,
    MIN_IDENTIFIER_KEY_LENGTH,
)

__all__ = [
    "DEFAULT_AUDIT_FLUSH_INTERVAL_S",
    "DEFAULT_AUDIT_HEAD_INTERVAL_S",
    "DEFAULT_AUDIT_MAX_PENDING",
    "DEFAULT_DATA_DIR",
    "DEFAULT_HOST",
    "DEFAULT_NEO4J_BOLT_PORT",
    "DEFAULT_PORT",
    "DEFAULT_REJECTED_ROW_RETENTION_DAYS",
    "DEVELOPMENT_AUDIT_KEY",
    "DEVELOPMENT_AUDIT_SIGNING_SEED",
    "DEVELOPMENT_DATA_KEY",
    "DEVELOPMENT_IDENTIFIER_KEY",
    "MIN_IDENTIFIER_KEY_LENGTH",
    "Settings",
]

#: Length of an Ed25519 private key (its seed) in hex digits.
_ED25519_SEED_HEX_DIGITS = 64
_LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
#: Variables with this prefix configure the test suite, not the program; they are ignored.
TEST_VARIABLE_PREFIX = "LOANWATCH_TEST_"

class Settings(PostLoanSettings, NotificationSettings, BaseSettings):
    """All of Loanwatch's settings.

    ``neo4j_uri`` decides the graph backend: unset means the embedded store, kept in the
    SQL database at ``database_url``; set means Neo4j over Bolt.
    """

    model_config = SettingsConfigDict(env_prefix="LOANWATCH_", frozen=True, extra="forbid")

    environment: Literal["development", "production", "test"] = "development"
    data_dir: Path = DEFAULT_DATA_DIR
    #: Secret: a PostgreSQL URL carries its password. Never printed; see ``display_url``.
    database_url: SecretStr = SecretStr("")
    neo4j_uri: str | None = None
    neo4j_user: str = "neo4j"
    neo4j_password: SecretStr = SecretStr("")
    neo4j_database: str = "neo4j"
    neo4j_connect_timeout_s: float = Field(DEFAULT_NEO4J_CONNECT_TIMEOUT_S, gt=0)
    #: Secret: a Redis URL may carry a password.
    broker_url: SecretStr | None = None
    host: str = DEFAULT_HOST
    port: int = Field(DEFAULT_PORT, ge=1, le=65535)
    import_batch_rows: int = Field(DEFAULT_IMPORT_BATCH_ROWS, ge=1, le=1_000_000)
    query_max_cost: int = Field(DEFAULT_QUERY_MAX_COST, ge=1)
    query_time_limit_s: float = Field(DEFAULT_QUERY_TIME_LIMIT_S, gt=0)
    heavy_query_cost: int = Field(DEFAULT_HEAVY_QUERY_COST, ge=1)
    heavy_query_slots: int = Field(DEFAULT_HEAVY_QUERY_SLOTS, ge=1, le=256)
    heavy_query_wait_s: float = Field(DEFAULT_HEAVY_QUERY_WAIT_S, ge=0)
    #: Requests each OAuth client may send to /graphql ("1200/minute"; api.rate_limit).
    rate_limit: str = "1200/minute"
    #: Where the rate limiter counts: memory:// (one process) or redis://host:port/db.
    rate_limit_storage: str = "memory://"
    identifier_key: SecretStr | None = None
    #: Secret: ``VERSION:BASE64KEY`` pairs separated by commas (AES-256 keys of personal
    #: data; the highest version encrypts, every version decrypts).
    data_keys: SecretStr | None = None
    #: Secret: ``VERSION:SECRET`` pairs, versions 2 and up, of the blind-index key (version
    #: 1 is ``identifier_key``, which names identifier nodes and is never rotated).
    hash_keys: SecretStr | None = None
    rejected_row_retention_days: int = Field(DEFAULT_REJECTED_ROW_RETENTION_DAYS, ge=1)
    #: Run only GraphQL documents registered with ``loanwatch documents register`` (set it
    #: in production; see the README's "Persisted documents").
    only_registered_documents: bool = False
    #: Requests to /graphql without a valid access token one source address may send
    #: before it gets 429 instead of 401 ("120/minute"; api.failed_auth). Counted where
    #: ``rate_limit_storage`` says.
    auth_failure_limit: str = DEFAULT_AUTH_FAILURE_LIMIT
    #: WebSocket (graphql-transport-ws) limits of one API process (api.websocket_limits):
    #: connections in all, connections of one caller (token subject), operations running
    #: on one connection, seconds to wait for a valid connection_init, seconds between two
    #: checks of a connection's token (a revoked token ends its connections within it).
    ws_max_connections: int = Field(DEFAULT_WS_MAX_CONNECTIONS, ge=1)
    ws_max_connections_per_client: int = Field(DEFAULT_WS_MAX_CONNECTIONS_PER_CLIENT, ge=1)
    ws_max_subscriptions_per_connection: int = Field(DEFAULT_WS_MAX_SUBSCRIPTIONS, ge=1)
    ws_connection_init_timeout_s: float = Field(DEFAULT_WS_INIT_TIMEOUT_S, gt=0, le=3600)
    ws_token_recheck_s: float = Field(DEFAULT_WS_TOKEN_RECHECK_S, gt=0, le=3600)

    @field_validator("auth_failure_limit")
    @classmethod
    def _is_rate(cls, value: str) -> str:
        try:
            parse_rate(value)
        except ValueError as exc:
            raise ValueError(f"not a rate limit such as '120/minute': {exc}") from exc
        return value

    #: The collections settings (delinquency buckets, balance bands; a YAML file, see the
    #: README's "Collections"); unset: the defaults (current, 1-30, 31-60, 61-90, 90+).
    collections_config: Path | None = None

    @field_validator("collections_config", mode="before")
    @classmethod
    def _blank_collections_config_is_none(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("collections_config")
    @classmethod
    def _collections_config_is_a_file(cls, value: Path | None) -> Path | None:
        if value is not None and not value.is_file():
            raise ValueError(f"{value} is not a file")
        return value

    @field_validator("identifier_key", "data_keys", "hash_keys", mode="before")
    @classmethod
    def _blank_key_is_none(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("identifier_key")
    @classmethod
    def _long_enough(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value()) < MIN_IDENTIFIER_KEY_LENGTH:
            raise ValueError(f"must be at least {MIN_IDENTIFIER_KEY_LENGTH} characters "
                             "(for example `openssl rand -hex 32`)")
        return value
    base_currency: str = Field(DEFAULT_BASE_CURRENCY, pattern=r"^[A-Z]{3}$")
    #: The audit trail (``auth.audit``): the HMAC-SHA256 key of its chain (never stored in
    #: the database), the Ed25519 private key that signs the exported heads (64 hex
    #: digits), the file of signed heads, how often a head is exported, how long an event
    #: waits in memory at most, and the backlog.
    audit_key: SecretStr | None = None
    #: Earlier audit keys, comma-separated: entries chained before a rotation still verify.
    audit_previous_keys: SecretStr | None = None
    audit_signing_key: SecretStr | None = None
    audit_heads_file: Path | None = None
    audit_head_interval_s: float = Field(DEFAULT_AUDIT_HEAD_INTERVAL_S, gt=0)
    audit_flush_interval_s: float = Field(DEFAULT_AUDIT_FLUSH_INTERVAL_S, gt=0, le=60)
    audit_max_pending: int = Field(DEFAULT_AUDIT_MAX_PENDING, ge=1)
    #: Reviews (``risk.reviews``): the review policy file (YAML: intervals by tier, the
    #: routing rules); unset means the shipped ``risk/reviews/default_policy.yaml``.
    #: ``LOANWATCH_REVIEW_POLICY_FILE``; the file is validated when a command reads it.
    review_policy_file: Path | None = Field(None, description="The review policy file.")
    @field_validator("audit_key", "audit_previous_keys", "audit_signing_key", mode="before")
    @classmethod
    def _blank_audit_key_is_none(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("audit_key")
    @classmethod
    def _audit_key_long_enough(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value()) < MIN_IDENTIFIER_KEY_LENGTH:
            raise ValueError(f"must be at least {MIN_IDENTIFIER_KEY_LENGTH} characters "
                             "(for example `openssl rand -hex 32`)")
        return value

    @field_validator("audit_signing_key")
    @classmethod
    def _ed25519_seed(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None:
            return None
        text = value.get_secret_value().strip()
        try:
            seed = bytes.fromhex(text)
        except ValueError:
            seed = b""
        if len(text) != _ED25519_SEED_HEX_DIGITS or len(seed) * 2 != len(text):
            raise ValueError(f"must be an Ed25519 private key as {_ED25519_SEED_HEX_DIGITS} "
                             "hex digits (for example `openssl rand -hex 32`)")
        return SecretStr(text)

    # The OAuth authorization server (api/oauth, auth/): who it says it is, for whom its
    # access tokens are, how long they live, and where revocations and failed-login counts
    # are shared between processes (Redis; unset: the SQL database and each process).
    oauth_issuer: str | None = None
    oauth_audience: str = Field(DEFAULT_OAUTH_AUDIENCE, min_length=1)
    oauth_access_token_ttl_s: int = Field(DEFAULT_OAUTH_ACCESS_TOKEN_TTL_S, ge=30, le=3600)
    oauth_refresh_token_ttl_s: int = Field(DEFAULT_OAUTH_REFRESH_TOKEN_TTL_S, ge=300)
    #: Secret: a Redis URL may carry a password.
    oauth_redis_url: SecretStr | None = None

    @field_validator("oauth_issuer", "oauth_redis_url", mode="before")
    @classmethod
    def _blank_oauth_is_none(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("oauth_issuer")
    @classmethod
    def _issuer_is_https(cls, value: str | None) -> str | None:
        if value is None:
            return None
        parsed = urlsplit(value)
        loopback = parsed.scheme == "http" and (parsed.hostname or "") in _LOOPBACK_HOSTS
        if not (parsed.scheme == "https" or loopback) or not parsed.hostname:
            raise ValueError("must be an https:// URL (http:// only on 127.0.0.1 or "
                             "localhost)")
        if parsed.query or parsed.fragment:
            raise ValueError("must have no query and no fragment")
        return value.rstrip("/")

    @property
    def resolved_oauth_issuer(self) -> str:
        """The OAuth issuer: ``oauth_issuer``, by default ``http://<host>:<port>``."""
        return self.oauth_issuer or f"http://{self.host}:{self.port}"

    @property
    def oauth_redis_url_value(self) -> str | None:
        """The OAuth Redis URL in clear, for the code that connects."""
        return None if self.oauth_redis_url is None else self.oauth_redis_url.get_secret_value()

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
        url = self.database_url.get_secret_value()
        if url:
            return url
        return f"sqlite:///{(self.data_dir / 'loanwatch.db').as_posix()}"

    @property
    def resolved_identifier_key(self) -> bytes:
        """The key of phone, address and device node ids, as bytes: ``identifier_key``, or
        outside production :data:`DEVELOPMENT_IDENTIFIER_KEY`.

        Raises:
            ConfigurationError: ``environment`` is ``production`` and no key is set.
        """
        if self.identifier_key is not None:
            return self.identifier_key.get_secret_value().encode()
        if self.environment == "production":
            raise ConfigurationError(
                "LOANWATCH_IDENTIFIER_KEY is not set; production needs a secret key for "
                "phone, address and device node ids",
                suggestion="set LOANWATCH_IDENTIFIER_KEY to a random secret of at least "
                           f"{MIN_IDENTIFIER_KEY_LENGTH} characters (openssl rand -hex 32), "
                           "and keep it: another key gives other ids",
            )
        return DEVELOPMENT_IDENTIFIER_KEY.encode()

    @property
    def resolved_audit_key(self) -> bytes:
        """The audit chain's HMAC key: ``audit_key``, or outside production
        :data:`DEVELOPMENT_AUDIT_KEY`.

        Raises:
            ConfigurationError: ``environment`` is ``production`` and no key is set.
        """
        if self.audit_key is not None:
            return self.audit_key.get_secret_value().encode()
        if self.environment == "production":
            raise ConfigurationError(
                "LOANWATCH_AUDIT_KEY is not set; production needs a secret key for the audit "
                "trail's MAC chain",
                suggestion="set LOANWATCH_AUDIT_KEY to a random secret of at least "
                           f"{MIN_IDENTIFIER_KEY_LENGTH} characters (openssl rand -hex 32), "
                           "kept outside the database, and keep it: the chain is verified "
                           "with it",
            )
        return DEVELOPMENT_AUDIT_KEY.encode()

    @property
    def resolved_audit_previous_keys(self) -> tuple[bytes, ...]:
        """The earlier audit keys ``loanwatch audit verify`` also accepts (after a rotation
        of ``LOANWATCH_AUDIT_KEY``), from the comma-separated ``audit_previous_keys``."""
        if self.audit_previous_keys is None:
            return ()
        keys = self.audit_previous_keys.get_secret_value().split(",")
        return tuple(key.strip().encode() for key in keys if key.strip())

    @property
    def resolved_audit_signing_key(self) -> bytes:
        """The 32-byte Ed25519 private key (seed) that signs exported audit heads:
        ``audit_signing_key``, or outside production one derived from
        :data:`DEVELOPMENT_AUDIT_SIGNING_SEED`.

        Raises:
            ConfigurationError: ``environment`` is ``production`` and no key is set.
        """
        if self.audit_signing_key is not None:
            return bytes.fromhex(self.audit_signing_key.get_secret_value())
        if self.environment == "production":
            raise ConfigurationError(
                "LOANWATCH_AUDIT_SIGNING_KEY is not set; production needs an Ed25519 "
                "private key to sign the audit trail's exported heads",
                suggestion="set LOANWATCH_AUDIT_SIGNING_KEY to 64 hex digits "
                           "(openssl rand -hex 32) and give auditors the public key that "
                           "`loanwatch audit public-key` prints",
            )
        return hashlib.sha256(DEVELOPMENT_AUDIT_SIGNING_SEED.encode()).digest()

    @property
    def resolved_audit_heads_file(self) -> Path:
        """The file of signed audit heads: ``audit_heads_file``, or
        ``data_dir/audit-heads.jsonl``."""
        if self.audit_heads_file is not None:
            return self.audit_heads_file
        return self.data_dir / "audit-heads.jsonl"

    @property
    def resolved_data_keys(self) -> dict[int, bytes]:
        """The data keys by version: ``data_keys``, or outside production the development
        key as version 1.

        Raises:
            ConfigurationError: malformed, or unset in production.
        """
        if self.data_keys is None:
            if self.environment == "production":
                raise ConfigurationError(
                    "LOANWATCH_DATA_KEYS is not set; production needs a secret key to encrypt "
                    "personal data", suggestion="set LOANWATCH_DATA_KEYS=1:$(openssl rand "
                    "-base64 32) and keep every version it has ever held until "
                    "`loanwatch keys rotate` has moved the data off it")
            return {1: DEVELOPMENT_DATA_KEY}
        keys = {}
        for version, text in _key_pairs(self.data_keys, "LOANWATCH_DATA_KEYS").items():
            try:
                key = base64.b64decode(text.replace("-", "+").replace("_", "/"), validate=True)
            except (binascii.Error, ValueError):
                key = b""
            if len(key) != DATA_KEY_BYTES:
                raise ConfigurationError(
                    f"LOANWATCH_DATA_KEYS: the key of version {version} is not "
                    f"{DATA_KEY_BYTES} bytes in base64",
                    suggestion="make one with `openssl rand -base64 32`")
            keys[version] = key
        return keys

    @property
    def resolved_hash_keys(self) -> dict[int, bytes]:
        """The blind-index keys by version: the identifier key as version 1, then
        ``hash_keys``.

        Raises:
            ConfigurationError: malformed, a version 1 in ``hash_keys``, a key too short, or
                the identifier key unset in production.
        """
        keys = {1: self.resolved_identifier_key}
        if self.hash_keys is not None:
            for version, text in _key_pairs(self.hash_keys, "LOANWATCH_HASH_KEYS").items():
                if version == 1:
                    raise ConfigurationError(
                        "LOANWATCH_HASH_KEYS: version 1 is LOANWATCH_IDENTIFIER_KEY; start at 2")
                if len(text) < MIN_IDENTIFIER_KEY_LENGTH:
                    raise ConfigurationError(
                        f"LOANWATCH_HASH_KEYS: the key of version {version} is shorter than "
                        f"{MIN_IDENTIFIER_KEY_LENGTH} characters",
                        suggestion="make one with `openssl rand -hex 32`")
                keys[version] = text.encode()
        return keys

    @property
    def uses_neo4j(self) -> bool:
        return self.neo4j_uri is not None

    @property
    def uses_default_database(self) -> bool:
        """No database URL is set: the SQLite file inside ``data_dir`` is used."""
        return not self.database_url.get_secret_value()

    @property
    def broker_url_value(self) -> str | None:
        """The broker URL in clear, for the code that connects (never for messages)."""
        return None if self.broker_url is None else self.broker_url.get_secret_value()

    @classmethod
    def settings_customise_sources(
        cls, settings_cls: type[BaseSettings], init_settings: PydanticBaseSettingsSource,
        *_other_sources: PydanticBaseSettingsSource, **_named: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Only the values :meth:`from_environ` passes: pydantic-settings would otherwise
        fill in whatever they leave out from ``os.environ``, and an injected mapping would
        still see the process's ``LOANWATCH_*`` variables (a user's Neo4j, say)."""
        return (init_settings,)

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
            return cls.model_validate(values)
        except ValidationError as exc:
            # The message names the variable and the rule, never the value (it may be a
            # password or a URL with one).
            problems = "; ".join(
                f"LOANWATCH_{'_'.join(str(p) for p in err['loc']).upper()}: {err['msg']}"
                for err in exc.errors(include_input=False)
            )
            raise ConfigurationError(
                f"bad setting: {problems}", suggestion="fix the environment variable named"
            ) from exc


def _key_pairs(value: SecretStr, setting: str) -> dict[int, str]:
    """``VERSION:KEY`` pairs of a key setting, by version; the message of an error names
    the setting and the pair's position, never a key."""
    pairs: dict[int, str] = {}
    for position, item in enumerate(value.get_secret_value().split(","), start=1):
        version, colon, key = item.strip().partition(":")
        if not colon or not version.strip().isdigit() or not key.strip():
            raise ConfigurationError(
                f"{setting}: entry {position} is not VERSION:KEY",
                suggestion=f"write {setting} as 1:KEY1,2:KEY2 (versions are positive numbers)")
        number = int(version)
        if not 1 <= number <= 65_535 or number in pairs:
            raise ConfigurationError(
                f"{setting}: entry {position} has version {number}, which is out of 1..65535 "
                "or given twice")
        pairs[number] = key.strip()
    return pairs
