"""Fixtures of the OAuth tests: every test runs on SQLite and on the real PostgreSQL."""

from tests.auth.oauth_fixtures import world
from tests.portfolio.databases import database, postgres_engine, sqlite_engine

__all__ = ["database", "postgres_engine", "sqlite_engine", "world"]
