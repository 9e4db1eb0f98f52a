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
        for attempt in (store.ensure_schema, store.count,
                        lambda: store.upsert_nodes([Node("P1", Label.PERSON, {})])):
            with pytest.raises(GraphSchemaMissing) as caught:
                attempt()
            assert caught.value.message.startswith("the graph tables are missing from the "
                                                   "database at ")
            assert "graph_node" in caught.value.message
            assert caught.value.suggestion == "run `loanwatch migrate`"
