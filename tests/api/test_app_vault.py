"""The API seals SQL records with the keys its graph store was opened with; a store that
has a vault which fails stops the app, rather than letting it seal with other keys."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from graph.vault import PersonalDataVault
from loanwatch.settings import Settings
from tests.api.apps import api_app
from tests.schema.sample import CountingStore

DEVELOPMENT = Settings.from_environ({"LOANWATCH_ENVIRONMENT": "development"})


class BrokenVault(CountingStore):
    @property
    def vault(self) -> PersonalDataVault:
        return self._no_such_attribute  # type: ignore[attr-defined, no-any-return]


def test_a_store_whose_vault_fails_stops_the_app(engine: Engine) -> None:
    with pytest.raises(AttributeError, match="_no_such_attribute"):
        api_app(DEVELOPMENT, BrokenVault(engine), engine)


def test_a_store_with_its_vault_serves(store: CountingStore, engine: Engine) -> None:
    assert api_app(DEVELOPMENT, store, engine).state.heavy_queries is not None
