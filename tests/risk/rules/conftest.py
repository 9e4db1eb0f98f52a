"""Fixtures of the rules tests: SQL databases and graph stores on every backend."""

from tests.portfolio.databases import database, postgres_engine, sqlite_engine
from tests.risk.rules.stores import stores

__all__ = ["database", "postgres_engine", "sqlite_engine", "stores"]
