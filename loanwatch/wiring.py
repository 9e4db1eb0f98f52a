"""The composition root: builds the stores a process needs from its settings.

This is the one place that decides which backend runs. Everything else receives a
``GraphStore`` and an ``Engine`` as arguments and never asks which kind it holds.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from sqlalchemy import Engine

from graph.data_keys import KeyRing
from graph.store import GraphStore
from graph.vault import PersonalDataVault
from loanwatch.errors import BackendUnavailable
from loanwatch.settings import Settings

if TYPE_CHECKING:
    from auth.audit import AuditTrail

__all__ = ["audit_trail", "create_engine_from_settings", "open_audit_trail", "open_graph_store",
           "open_stores", "open_vault", "records_engine", "stores"]


def open_vault(settings: Settings) -> PersonalDataVault:
    """The vault of personal data with the keys ``settings`` configure.

    Raises:
        ConfigurationError: a key is missing (production) or malformed.
    """
    return PersonalDataVault(KeyRing(settings.resolved_data_keys, settings.resolved_hash_keys))


def create_engine_from_settings(settings: Settings, *, migrate: bool = True) -> Engine:
    """The SQL engine of ``settings.resolved_database_url``, migrated to the latest schema.

    Creates ``settings.data_dir`` for the default SQLite file.

    Raises:
        BackendUnavailable: the database cannot be reached.
    """
    from loanwatch.migrations import migrate as run_migrations
    from portfolio.database import check_database, create_sql_engine

    url = settings.resolved_database_url
    if url.startswith("sqlite:///") and settings.uses_default_database:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = create_sql_engine(url)
    check_database(engine)
    if migrate:
        run_migrations(engine)
    return engine


def open_graph_store(settings: Settings, engine: Engine) -> GraphStore:
    """The graph store ``settings`` asks for, checked to answer, its schema ensured.

    Raises:
        BackendUnavailable: Neo4j (or the database) cannot be reached; the message names
            the address.
    """
    vault = open_vault(settings)
    if settings.neo4j_uri is None:
        from graph.stores.embedded import EmbeddedGraphStore

        store: GraphStore = EmbeddedGraphStore(engine, vault=vault)
    else:
        from neo4j import AsyncDriver, AsyncGraphDatabase, GraphDatabase
        from neo4j.exceptions import ConfigurationError as DriverConfigurationError

        from graph.stores.neo4j import Neo4jGraphStore

        password = settings.neo4j_password.get_secret_value()
        auth = (settings.neo4j_user, password) if password else None
        try:
            driver = GraphDatabase.driver(
                settings.neo4j_uri, auth=auth,
                connection_timeout=settings.neo4j_connect_timeout_s,
                connection_acquisition_timeout=settings.neo4j_connect_timeout_s * 2,
            )
        except (DriverConfigurationError, ValueError) as exc:
            raise BackendUnavailable("Neo4j", settings.neo4j_uri, str(exc)) from exc
        uri = settings.neo4j_uri

        def async_driver() -> AsyncDriver:
            # The same server and limits; made where an event loop will use it (the API's).
            return AsyncGraphDatabase.driver(
                uri, auth=auth, connection_timeout=settings.neo4j_connect_timeout_s,
                connection_acquisition_timeout=settings.neo4j_connect_timeout_s * 2)

        store = Neo4jGraphStore(driver, database=settings.neo4j_database, address=uri,
                                vault=vault, async_driver=async_driver)
    try:
        store.ping()
        store.ensure_schema()
    except BaseException:
        # Unreachable, or reachable but refusing (an unknown database, no rights): either
        # way the driver's connections go with the error.
        store.close()
        raise
    return store


def open_stores(settings: Settings) -> tuple[Engine, GraphStore]:
    """Both stores of a process: the SQL engine and the graph store on top of it."""
    engine = create_engine_from_settings(settings)
    try:
        return engine, open_graph_store(settings, engine)
    except BaseException:
        engine.dispose()
        raise


@contextmanager
def stores(settings: Settings) -> Iterator[tuple[Engine, GraphStore]]:
    """:func:`open_stores` for a ``with`` block: both stores closed when it ends."""
    engine, graph = open_stores(settings)
    try:
        yield engine, graph
    finally:
        graph.close()
        engine.dispose()


@contextmanager
def records_engine(settings: Settings) -> Iterator[Engine]:
    """:func:`create_engine_from_settings` for a ``with`` block: disposed when it ends."""
    engine = create_engine_from_settings(settings)
    try:
        yield engine
    finally:
        engine.dispose()


def open_audit_trail(settings: Settings, engine: Engine) -> AuditTrail:
    """The process's audit trail on ``engine`` (migrated), keyed, signing and bounded as
    ``settings`` say. Close it when the process ends (it drains on close).

    Raises:
        ConfigurationError: production without ``LOANWATCH_AUDIT_KEY`` or
            ``LOANWATCH_AUDIT_SIGNING_KEY``.
    """
    from auth.audit import AuditTrail
    from auth.audit_heads import HeadSigner

    return AuditTrail(engine, key=settings.resolved_audit_key,
                      signer=HeadSigner(settings.resolved_audit_signing_key),
                      heads_file=settings.resolved_audit_heads_file,
                      head_interval_s=settings.audit_head_interval_s,
                      flush_interval_s=settings.audit_flush_interval_s,
                      max_pending=settings.audit_max_pending)


@contextmanager
def audit_trail(settings: Settings, engine: Engine) -> Iterator[AuditTrail]:
    """:func:`open_audit_trail` for a ``with`` block: closed (drained) when it ends."""
    trail = open_audit_trail(settings, engine)
    try:
        yield trail
    finally:
        trail.close()
