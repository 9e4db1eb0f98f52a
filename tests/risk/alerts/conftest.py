"""Fixtures of the alert tests: migrated SQL databases (SQLite and PostgreSQL), graph stores."""

from tests.portfolio.databases import database, postgres_engine, sqlite_engine
from tests.risk.rules.stores import stores

__all__ = ["database", "postgres_engine", "sqlite_engine", "stores"]
