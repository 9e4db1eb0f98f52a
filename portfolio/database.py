"""SQL engines and reachability checks for the relational records.

SQLite is the default (one file, no server); PostgreSQL runs production through psycopg 3.
The schema is owned by the one Alembic history of the database, in
:mod:`loanwatch.migrations` (it also creates the embedded graph store's tables).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Final

from sqlalchemy import Engine, create_engine, event, make_url, text
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import URL

from loanwatch.errors import BackendUnavailable

__all__ = [
    "POSTGRES_CONNECT_TIMEOUT_S",
    "SQLITE_BUSY_TIMEOUT_MS",
    "SQLITE_CACHE_KIB",
    "check_database",
    "create_sql_engine",
    "database_unavailable",
    "display_url",
    "driver_reason",
    "normalise_url",
]

#: How long a SQLite writer waits for another one before giving up.
SQLITE_BUSY_TIMEOUT_MS: Final = 30_000
#: SQLite page cache per connection (64 MiB): bulk upserts touch many index pages.
SQLITE_CACHE_KIB: Final = 65_536
SQLITE_MMAP_BYTES: Final = 256 * 1024 * 1024
POSTGRES_CONNECT_TIMEOUT_S: Final = 5

_POSTGRES_ALIASES: Final = ("postgres", "postgresql", "postgresql+psycopg2")


def normalise_url(url: str | URL) -> URL:
    """``url`` as SQLAlchemy should see it: PostgreSQL URLs get the psycopg 3 driver.

    ``postgres://`` and ``postgresql://`` (and a ``psycopg2`` driver name, which is not
    installed) become ``postgresql+psycopg://``; everything else is left as it is.
    """
    parsed = make_url(url) if isinstance(url, str) else url
    if parsed.drivername in _POSTGRES_ALIASES:
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def display_url(url: str | URL) -> str:
    """``url`` with its password hidden, fit for messages and logs."""
    parsed = make_url(url) if isinstance(url, str) else url
    return parsed.render_as_string(hide_password=True)


def create_sql_engine(url: str | URL, *, echo: bool = False) -> Engine:
    """An engine for ``url`` (SQLite or PostgreSQL), tuned for Loanwatch's workload.

    SQLite connections run in WAL mode (readers never block the writer), with foreign keys
    enforced, ``synchronous=NORMAL`` (durable at each checkpoint, far faster for bulk
    imports), a 64 MiB page cache, in-memory temp tables and memory-mapped reads. The folder
    of a SQLite file is created when missing. PostgreSQL connections time out after
    ``POSTGRES_CONNECT_TIMEOUT_S`` and are checked before reuse.

    Nothing is connected yet; see :func:`check_database`.

    Raises:
        BackendUnavailable: the folder of a SQLite file cannot be created.
    """
    parsed = normalise_url(url)
    backend = parsed.get_backend_name()
    kwargs: dict[str, Any] = {"echo": echo}
    if backend == "sqlite":
        database = parsed.database or ""
        if database and database != ":memory:" and not database.startswith("file:"):
            folder = Path(database).expanduser().parent
            try:
                folder.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise BackendUnavailable(
                    "the SQL database", display_url(parsed),
                    f"cannot create the folder {folder}: {exc.strerror or exc}",
                    suggestion="check LOANWATCH_DATABASE_URL or LOANWATCH_DATA_DIR",
                ) from exc
        kwargs["connect_args"] = {"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}
        engine = create_engine(parsed, **kwargs)
        event.listen(engine, "connect", _set_sqlite_pragmas)
        return engine
    if backend == "postgresql":
        kwargs["connect_args"] = {"connect_timeout": POSTGRES_CONNECT_TIMEOUT_S}
        kwargs["pool_pre_ping"] = True
    return create_engine(parsed, **kwargs)


def _set_sqlite_pragmas(dbapi_connection: Any, _record: object) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")
        cursor.execute("PRAGMA temp_store=MEMORY")
        cursor.execute(f"PRAGMA mmap_size={SQLITE_MMAP_BYTES}")
    finally:
        cursor.close()


def check_database(engine: Engine) -> None:
    """Return when the database answers a query.

    Raises:
        BackendUnavailable: it cannot be reached; the message names the address (password
            hidden) and the driver's reason.
    """
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except (sa_exc.OperationalError, sa_exc.InterfaceError) as exc:
        raise database_unavailable(engine, exc) from exc


def driver_reason(exc: BaseException) -> str:
    original = getattr(exc, "orig", None) or exc
    lines = [line.strip() for line in str(original).splitlines() if line.strip()]
    return lines[0] if lines else type(original).__name__


def database_unavailable(engine: Engine, exc: BaseException) -> BackendUnavailable:
    backend = engine.url.get_backend_name()
    suggestion = (
        "check that PostgreSQL runs and LOANWATCH_DATABASE_URL is right (tools/services.sh start)"
        if backend == "postgresql"
        else "check that the folder of the SQLite file exists and is writable"
    )
    return BackendUnavailable("the SQL database", display_url(engine.url), driver_reason(exc),
                              suggestion=suggestion)
