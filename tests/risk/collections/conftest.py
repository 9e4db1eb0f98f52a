"""Fixtures of the collections tests: migrated databases on SQLite and PostgreSQL."""

from tests.portfolio.databases import database, postgres_engine, sqlite_engine

__all__ = ["database", "postgres_engine", "sqlite_engine"]
