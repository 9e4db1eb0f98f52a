"""The one Alembic migration history of the SQL database, and :func:`migrate` that runs it.

The database holds two stores' tables: the relational records of :mod:`portfolio` and the
embedded graph store's tables of :mod:`graph.stores.embedded_schema`. Neither store owns the
other's tables, so their common history lives here, at the composition level, above both
(see the layer contract in ``pyproject.toml``).

For development, ``alembic -c loanwatch/migrations/alembic.ini revision --autogenerate -m
"..."`` writes a new revision against the database named by ``LOANWATCH_DATABASE_URL``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Final

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine
from sqlalchemy import exc as sa_exc

from portfolio.database import database_unavailable, display_url, driver_reason
from portfolio.errors import MigrationError

__all__ = ["MIGRATIONS_DIR", "alembic_config", "migrate"]

MIGRATIONS_DIR: Final = Path(__file__).parent


def migrate(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to ``revision`` (the newest by default): ``alembic upgrade``.

    Creates the relational tables and the embedded graph store's tables. Safe to call on an
    up-to-date database (it does nothing).

    Raises:
        BackendUnavailable: the database cannot be reached.
        MigrationError: a migration failed; nothing of that migration is kept where the
            database has transactional DDL (PostgreSQL, SQLite).
    """
    try:
        connection = engine.connect()
    except (sa_exc.OperationalError, sa_exc.InterfaceError) as exc:
        raise database_unavailable(engine, exc) from exc
    with connection:
        try:
            with connection.begin():
                command.upgrade(alembic_config(connection), revision)
        except sa_exc.SQLAlchemyError as exc:
            raise MigrationError(
                f"migrating {display_url(engine.url)} failed: {driver_reason(exc)}",
                suggestion="see the migration named in the message; the database was left "
                "at its previous revision",
            ) from exc


def alembic_config(connection: Any) -> Config:
    """An Alembic configuration of this history that runs on ``connection``."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR).replace("%", "%%"))
    # env.py runs on this connection instead of opening its own.
    config.attributes["connection"] = connection
    return config
