"""The schema as production builds it, and the sample portfolio in a counting store."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from schema import LoanwatchSchema, build_schema
from tests.schema.sample import CountingStore, sample_store, sqlite_engine


@pytest.fixture
def store(tmp_path: Path) -> Iterator[CountingStore]:
    backend = sample_store(sqlite_engine(tmp_path / "graph.db"))
    yield backend
    backend.close()


@pytest.fixture(scope="session")
def schema() -> LoanwatchSchema:
    return build_schema(mask_errors=False)
