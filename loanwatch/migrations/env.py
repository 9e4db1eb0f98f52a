"""Alembic environment: migrates the relational records and the embedded graph tables.

Called two ways: from :func:`loanwatch.migrations.migrate`, which hands over an open
connection in ``config.attributes["connection"]``; or from the ``alembic`` command line,
which connects to the database named by the Loanwatch settings.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from loanwatch.migrations.metadata import all_metadata

target_metadata = all_metadata()


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        # SQLite cannot ALTER most things; batch mode rebuilds the table instead.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def _run_from_settings() -> None:
    from loanwatch.settings import Settings
    from portfolio.database import create_sql_engine

    engine = create_sql_engine(Settings.from_environ().resolved_database_url)
    try:
        with engine.connect() as connection:
            _run(connection)
            connection.commit()
    finally:
        engine.dispose()


if context.is_offline_mode():
    raise SystemExit("offline (--sql) migrations are not supported; run against a database")

given = context.config.attributes.get("connection")
if given is not None:
    _run(given)
else:
    _run_from_settings()
