"""Fixtures of the portfolio tests: migrated databases on SQLite and PostgreSQL.

``database`` runs a test once per backend; ``postgres_engine`` connects to
``LOANWATCH_TEST_POSTGRES_URL`` (default
``postgresql+psycopg://loanwatch:loanwatch@127.0.0.1:5432/loanwatch_test``), claims it for
the tests (see :mod:`tests.ownership`) and skips when it cannot reach it, except with
``CI=true``, where it fails. See :mod:`tests.portfolio.databases`.
"""

from tests.portfolio.databases import database, postgres_engine, sqlite_engine

__all__ = ["database", "postgres_engine", "sqlite_engine"]
