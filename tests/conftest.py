"""Fixtures shared by every test package: a settings-free environment and the real Neo4j.

No test may touch a user's data: the servers are the test servers of
:mod:`tests.services`, claimed before anything is wiped (:mod:`tests.ownership`), and the
user's own ``LOANWATCH_*`` settings (which may name their Neo4j, their database or their
``var/`` folder) are removed for the whole session, with ``LOANWATCH_DATA_DIR`` pointing
into a temporary folder, so a command a test runs never falls back to ``var/loanwatch.db``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from graph.stores.neo4j import Neo4jGraphStore
from loanwatch.settings import TEST_VARIABLE_PREFIX
from tests.services import open_neo4j_store
from tests.unmigrated import unmigrated_database  # noqa: F401 - a fixture for every module


@pytest.fixture(scope="session", autouse=True)
def _no_user_settings(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    with pytest.MonkeyPatch.context() as patch:
        for name in list(os.environ):
            if name.startswith("LOANWATCH_") and not name.startswith(TEST_VARIABLE_PREFIX):
                patch.delenv(name)
        patch.setenv("LOANWATCH_DATA_DIR", str(tmp_path_factory.mktemp("loanwatch-data")))
        yield


@pytest.fixture(scope="session")
def neo4j_store() -> Iterator[Neo4jGraphStore]:
    """The test Neo4j, claimed for the tests; emptied (all but the marker) at the end."""
    store = open_neo4j_store(Neo4jGraphStore)
    yield store
    store.delete_all()
    store.close()
