"""Where the test servers are, and how a test that cannot reach one behaves.

The defaults are the servers ``tools/services.sh start`` (and so ``make test``) runs for the
tests alone: a Neo4j of their own on 127.0.0.1:7688 with its data in ``var/neo4j-test``
(never the 127.0.0.1:7687 that ``loanwatch neo4j start`` and ``make demo`` use), the
PostgreSQL database ``loanwatch_test`` and Redis database 15. ``LOANWATCH_TEST_NEO4J_URI``,
``LOANWATCH_TEST_POSTGRES_URL`` and ``LOANWATCH_TEST_REDIS_URL`` override them.

On a developer's machine a test that cannot reach its server is skipped with the reason; in
CI (``CI=true``) it fails, so that a green run always means the real servers were exercised.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Final, NoReturn, TypeVar
from urllib.parse import quote

import pytest
from neo4j import GraphDatabase
from sqlalchemy import Engine, text

from graph.stores.neo4j import Neo4jGraphStore
from loanwatch.errors import BackendUnavailable
from portfolio.database import check_database, create_sql_engine
from tests.ownership import ForeignDataError, claim_neo4j, claim_postgres

__all__ = [
    "DEFAULT_NEO4J_URI",
    "DEFAULT_POSTGRES_URL",
    "DEFAULT_REDIS_URL",
    "NEO4J_URI",
    "POSTGRES_URL",
    "REDIS_URL",
    "in_ci",
    "open_neo4j_store",
    "postgres_schema",
    "unreachable",
]

#: The test Neo4j of ``tools/services.sh``: its own port and data folder (var/neo4j-test).
DEFAULT_NEO4J_URI: Final = "bolt://127.0.0.1:7688"
DEFAULT_POSTGRES_URL: Final = (
    "postgresql+psycopg://loanwatch:loanwatch@127.0.0.1:5432/loanwatch_test"
)
DEFAULT_REDIS_URL: Final = "redis://127.0.0.1:6379/15"

NEO4J_URI: Final = os.environ.get("LOANWATCH_TEST_NEO4J_URI", DEFAULT_NEO4J_URI)
POSTGRES_URL: Final = os.environ.get("LOANWATCH_TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL)
REDIS_URL: Final = os.environ.get("LOANWATCH_TEST_REDIS_URL", DEFAULT_REDIS_URL)


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def unreachable(what: str, address: str, error: BaseException) -> NoReturn:
    """Fail in CI, skip elsewhere, naming the server and how to start it."""
    message = (
        f"{what} at {address} is unreachable ({error}); start the test servers with "
        "`tools/services.sh start`"
    )
    if in_ci():
        pytest.fail(message, pytrace=False)
    pytest.skip(message)



# ---------------------------------------------------------------------------------------
# Opening the test servers: reachable and claimed (see tests.ownership), or no test runs

StoreT = TypeVar("StoreT", bound=Neo4jGraphStore)


def _refuse(error: ForeignDataError) -> NoReturn:
    """Foreign data fails the test everywhere, CI or not: its owner must hear of it."""
    pytest.fail(str(error), pytrace=False)


def open_neo4j_store(store_class: type[StoreT], uri: str = NEO4J_URI) -> StoreT:
    """A ``store_class`` on the test Neo4j at ``uri``, claimed for the tests, its schema in
    place.

    Skips (fails in CI) when the server cannot be reached; fails when it holds data the
    suite did not create, without touching it.
    """
    driver = GraphDatabase.driver(uri, auth=None)
    store = store_class(driver, address=uri)
    try:
        store.ping()
        claim_neo4j(driver, uri)
    except BackendUnavailable as exc:
        store.close()
        unreachable("Neo4j", uri, exc)
    except ForeignDataError as exc:
        store.close()
        _refuse(exc)
    store.ensure_schema()
    return store


def _with_search_path(url: str, schema: str) -> str:
    separator = "&" if "?" in url else "?"
    return f"{url}{separator}options={quote(f'-csearch_path={schema}')}"


@contextmanager
def postgres_schema(prefix: str, url: str = POSTGRES_URL) -> Iterator[Engine]:
    """An engine on a fresh schema of the test database at ``url``, claimed for the tests,
    dropped afterwards.

    The schema is named ``prefix`` and a random suffix; the engine's ``search_path`` is
    that schema alone, so whatever the tests create, truncate or drop stays inside it.
    Skips (fails in CI) when PostgreSQL cannot be reached; fails when the database holds
    data the suite did not create.
    """
    admin = create_sql_engine(url)
    try:
        check_database(admin)
        claim_postgres(admin)
    except BackendUnavailable as exc:
        admin.dispose()
        unreachable("PostgreSQL", url, exc)
    except ForeignDataError as exc:
        admin.dispose()
        _refuse(exc)
    schema = f"{prefix}_{uuid.uuid4().hex[:10]}"
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine = create_sql_engine(_with_search_path(url, schema))
    try:
        yield engine
    finally:
        engine.dispose()
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
