"""Fixtures of the notification tests: migrated databases on SQLite and PostgreSQL, and the
real SMTP and HTTP servers of :mod:`tests.notifications.servers`."""

from tests.portfolio.databases import database, postgres_engine, sqlite_engine

__all__ = ["database", "postgres_engine", "sqlite_engine"]
