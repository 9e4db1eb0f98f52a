"""Fixtures of the disposal tests: migrated databases on SQLite and PostgreSQL, and both
stores (records and graph) on every backend."""

from tests.portfolio.databases import database, postgres_engine, sqlite_engine
from tests.risk.rules.stores import stores

__all__ = ["database", "postgres_engine", "sqlite_engine", "stores"]
