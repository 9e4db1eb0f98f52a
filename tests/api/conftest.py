"""The API over the sample portfolio, on a real SQLite file."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from loanwatch.settings import Settings
from tests.api.apps import api_app
from tests.api.client import ApiClient
from tests.schema.sample import CountingStore, sample_store, sqlite_engine


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    engine = sqlite_engine(tmp_path / "loanwatch.db")
    yield engine
    engine.dispose()


@pytest.fixture
def store(engine: Engine) -> CountingStore:
    return sample_store(engine)


@pytest.fixture
def client(store: CountingStore, engine: Engine) -> ApiClient:
    settings = Settings.from_environ({"LOANWATCH_ENVIRONMENT": "development"})
    return ApiClient(api_app(settings, store, engine))
