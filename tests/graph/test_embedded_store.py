"""What only the embedded store does: it says how to create its tables when they are
missing, on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from pathlib import Path
from urllib.parse import quote

import pytest
from sqlalchemy import create_engine

from graph.errors import GraphSchemaMissing
from graph.model import Label, Node
from graph.stores.embedded import EmbeddedGraphStore
from loanwatch.errors import BackendUnavailable
from tests.services import POSTGRES_URL


def _unmigrated(backend: str, tmp_path: Path) -> EmbeddedGraphStore:
    if backend == "sqlite":
        return EmbeddedGraphStore(create_engine(f"sqlite:///{tmp_path / 'empty.db'}"))
    schema = f"lw_absent_{uuid.uuid4().hex[:8]}"  # never created: no table is found
    separator = "&" if "?" in POSTGRES_URL else "?"
    return EmbeddedGraphStore(create_engine(
        f"{POSTGRES_URL}{separator}options={quote(f'-csearch_path={schema}')}"))


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgres",
                                                            marks=pytest.mark.postgres)])
def test_missing_tables_say_run_loanwatch_migrate(backend: str, tmp_path: Path,
                                                  request: pytest.FixtureRequest) -> None:
    if backend == "postgres":
        request.getfixturevalue("postgres_graph_store")  # the server is there (or CI fails)
    store = _unmigrated(backend, tmp_path)
    with store:
        # get_nodes and edges_of read on the driver's cursor (graph.stores.driver_reads):
        # its errors must read the same.
        for attempt, table in ((store.ensure_schema, "graph_node"),
                               (store.count, "graph_node"),
                               (lambda: store.upsert_nodes([Node("P1", Label.PERSON, {})]),
                                "graph_node"),
                               (lambda: store.get_nodes(["P1"]), "graph_node"),
                               (lambda: store.edges_of(["P1"]), "graph_edge")):
            with pytest.raises(GraphSchemaMissing) as caught:
                attempt()
            assert caught.value.message.startswith("the graph tables are missing from the "
                                                   "database at ")
            assert table in caught.value.message
            assert caught.value.suggestion == "run `loanwatch migrate`"


@pytest.mark.postgres
def test_a_dropped_connection_is_reported_then_replaced(
        postgres_graph_store: EmbeddedGraphStore) -> None:
    """The hot reads run on the driver's cursor: a connection the server dropped is named
    unavailable (not a store failure) and thrown away, so the next read works. (Without
    the pool's pre-ping, which would otherwise replace the dead connection first.)"""
    postgres_graph_store.delete_all()
    postgres_graph_store.upsert_nodes([Node("P1", Label.PERSON, {"name": "甲"})])
    engine = create_engine(postgres_graph_store._engine.url, pool_size=1)
    store = EmbeddedGraphStore(engine, vault=postgres_graph_store._sealed.vault)
    try:
        assert store.get_nodes(["P1"])[0] is not None  # the pool's one connection, idle now
        raw = engine.raw_connection()
        pid = raw.dbapi_connection.info.backend_pid
        raw.close()
        admin_engine = create_engine(POSTGRES_URL)
        try:
            with admin_engine.connect() as admin:
                killed = admin.exec_driver_sql("SELECT pg_terminate_backend(%s)",
                                               (pid,)).scalar()
        finally:
            admin_engine.dispose()
        assert killed is True
        with pytest.raises(BackendUnavailable) as caught:
            store.get_nodes(["P1"])
        assert "the SQL database" in caught.value.message
        [node] = store.get_nodes(["P1"])
        assert node is not None and node.id == "P1"
    finally:
        engine.dispose()
