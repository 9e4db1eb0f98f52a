"""The defaults of :class:`loanwatch.settings.Settings` and the public development keys used
outside production when a key is unset, kept apart from the settings class; importable from
:mod:`loanwatch.settings` as before."""

from __future__ import annotations

from pathlib import Path

__all__ = [
    "DATA_KEY_BYTES",
    "DEFAULT_AUDIT_FLUSH_INTERVAL_S",
    "DEFAULT_AUDIT_HEAD_INTERVAL_S",
    "DEFAULT_AUDIT_MAX_PENDING",
    "DEFAULT_AUTH_FAILURE_LIMIT",
    "DEFAULT_BASE_CURRENCY",
    "DEFAULT_BROKER_DEAD_MESSAGE_TTL_S",
    "DEFAULT_BROKER_HEARTBEAT_TIMEOUT_S",
    "DEFAULT_DATA_DIR",
    "DEFAULT_HEAVY_QUERY_COST",
    "DEFAULT_HEAVY_QUERY_SLOTS",
    "DEFAULT_HEAVY_QUERY_WAIT_S",
    "DEFAULT_HOST",
    "DEFAULT_IMPORT_BATCH_ROWS",
    "DEFAULT_JOB_MAX_AGE_S",
    "DEFAULT_JOB_MAX_RETRIES",
    "DEFAULT_JOB_RETRY_MAX_BACKOFF_S",
    "DEFAULT_JOB_RETRY_MIN_BACKOFF_S",
    "DEFAULT_JOB_STALE_AFTER_S",
    "DEFAULT_JOB_TIME_LIMIT_S",
    "DEFAULT_NEO4J_BOLT_PORT",
    "DEFAULT_NEO4J_CONNECT_TIMEOUT_S",
    "DEFAULT_OAUTH_ACCESS_TOKEN_TTL_S",
    "DEFAULT_OAUTH_AUDIENCE",
    "DEFAULT_OAUTH_REFRESH_TOKEN_TTL_S",
    "DEFAULT_PORT",
    "DEFAULT_QUERY_MAX_COST",
    "DEFAULT_QUERY_TIME_LIMIT_S",
    "DEFAULT_REJECTED_ROW_RETENTION_DAYS",
    "DEFAULT_SCHEDULER_BATCH",
    "DEFAULT_SCHEDULER_INTERVAL_S",
    "DEFAULT_WS_INIT_TIMEOUT_S",
    "DEFAULT_WS_MAX_CONNECTIONS",
    "DEFAULT_WS_MAX_CONNECTIONS_PER_CLIENT",
    "DEFAULT_WS_MAX_SUBSCRIPTIONS",
    "DEFAULT_WS_TOKEN_RECHECK_S",
    "DEVELOPMENT_AUDIT_KEY",
    "DEVELOPMENT_AUDIT_SIGNING_SEED",
    "DEVELOPMENT_DATA_KEY",
    "DEVELOPMENT_IDENTIFIER_KEY",
    "MIN_IDENTIFIER_KEY_LENGTH",
]

DEFAULT_DATA_DIR = Path("var")
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000
DEFAULT_NEO4J_BOLT_PORT = 7687
DEFAULT_NEO4J_CONNECT_TIMEOUT_S = 5.0
DEFAULT_IMPORT_BATCH_ROWS = 5_000
#: The currency of imported amounts whose row names none (ISO 4217).
DEFAULT_BASE_CURRENCY = "CNY"
#: What one GraphQL query may cost (objects it may return, nodes its walks may visit).
DEFAULT_QUERY_MAX_COST = 50_000
#: Seconds one GraphQL request may take, waiting for a turn included.
DEFAULT_QUERY_TIME_LIMIT_S = 15.0
#: The cost from which a query is heavy; heavy queries executing at once; seconds a heavy
#: query waits for a turn before SERVER_BUSY.
DEFAULT_HEAVY_QUERY_COST = 10_000
DEFAULT_HEAVY_QUERY_SLOTS = 2
DEFAULT_HEAVY_QUERY_WAIT_S = 10.0
#: Days an import batch's rejected rows keep their raw text (``loanwatch purge-rejected``).
DEFAULT_REJECTED_ROW_RETENTION_DAYS = 90
#: The identifier key outside production when ``LOANWATCH_IDENTIFIER_KEY`` is unset. It is
#: public, so it hides nothing: fine for demo and test data, never for real persons.
DEVELOPMENT_IDENTIFIER_KEY = "loanwatch-development-identifier-key-not-secret"
#: Shortest identifier key accepted, in characters (a key is a secret, not a password).
MIN_IDENTIFIER_KEY_LENGTH = 32
#: The audit trail's MAC key and head-signing seed outside production when
#: ``LOANWATCH_AUDIT_KEY`` / ``LOANWATCH_AUDIT_SIGNING_KEY`` are unset. Public: a chain made
#: with them proves nothing against anyone who has read this file.
DEVELOPMENT_AUDIT_KEY = "loanwatch-development-audit-key-not-secret-at-all"
DEVELOPMENT_AUDIT_SIGNING_SEED = "loanwatch-development-audit-signing-seed-not-secret"
#: The longest an accepted audit event waits in memory before it is written (seconds): with
#: the batch being written, what a hard crash of the process can lose.
DEFAULT_AUDIT_FLUSH_INTERVAL_S = 0.05
#: Seconds between two signed exports of the audit chain's head.
DEFAULT_AUDIT_HEAD_INTERVAL_S = 60.0
#: Audit events accepted but not yet written, at most; beyond it ``record`` refuses.
DEFAULT_AUDIT_MAX_PENDING = 100_000
#: The ``aud`` of access tokens: the API that accepts them.
DEFAULT_OAUTH_AUDIENCE = "loanwatch-api"
#: Access tokens live minutes (revocation is checked on every request anyway).
DEFAULT_OAUTH_ACCESS_TOKEN_TTL_S = 600
#: A refresh token lives two weeks (each use rotates it).
DEFAULT_OAUTH_REFRESH_TOKEN_TTL_S = 14 * 24 * 3600
#: The data key (version 1) outside production when ``LOANWATCH_DATA_KEYS`` is unset:
#: public, like the development identifier key, so it protects nothing.
DEVELOPMENT_DATA_KEY = b"loanwatch-dev-data-key-NOT-SECRET"[:32]
#: Bytes of an AES-256 data key.
DATA_KEY_BYTES = 32
#: Requests without a valid access token one address may send before 429.
DEFAULT_AUTH_FAILURE_LIMIT = "120/minute"
#: WebSocket connections of one process, of one caller; operations on one connection;
#: seconds a connection may wait for its connection_init; seconds between token checks.
DEFAULT_WS_MAX_CONNECTIONS = 1_000
DEFAULT_WS_MAX_CONNECTIONS_PER_CLIENT = 32
DEFAULT_WS_MAX_SUBSCRIPTIONS = 50
DEFAULT_WS_INIT_TIMEOUT_S = 10.0
DEFAULT_WS_TOKEN_RECHECK_S = 30.0
#: Jobs: a worker silent this long is taken for dead and its unacknowledged messages go back
#: to their queues; Redis keeps a dead-lettered message a week (the SQL dead letters stay).
DEFAULT_BROKER_HEARTBEAT_TIMEOUT_S = 60.0
DEFAULT_BROKER_DEAD_MESSAGE_TTL_S = 7 * 86_400.0
#: Transient faults (a server unreachable) are retried this often, backing off
#: exponentially from the minimum to the maximum delay (seconds).
DEFAULT_JOB_MAX_RETRIES = 10
DEFAULT_JOB_RETRY_MIN_BACKOFF_S = 15.0
DEFAULT_JOB_RETRY_MAX_BACKOFF_S = 3_600.0
#: A job running longer is interrupted; a message waiting longer is dead-lettered (seconds).
DEFAULT_JOB_TIME_LIMIT_S = 600.0
DEFAULT_JOB_MAX_AGE_S = 86_400.0
#: The scheduler looks for due work this often, enqueues at most this many units per look,
#: and enqueues again a unit enqueued this long ago and still not done (seconds).
DEFAULT_SCHEDULER_INTERVAL_S = 5.0
DEFAULT_SCHEDULER_BATCH = 1_000
DEFAULT_JOB_STALE_AFTER_S = 3_600.0

