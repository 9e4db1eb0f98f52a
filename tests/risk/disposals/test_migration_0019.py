"""Migration 0019 on SQLite and PostgreSQL: it adds the disposal tables with their partial
unique indexes and the append-only trail, and its downgrade removes them (0018 again);
upgrading once more restores them."""

from __future__ import annotations

from sqlalchemy import Engine, inspect

from loanwatch.migrations import migrate
from tests.unmigrated import downgrade, unmigrated_database

__all__ = ["unmigrated_database"]


def test_0019_upgrades_and_downgrades(unmigrated_database: Engine) -> None:
    engine = unmigrated_database
    migrate(engine, "0019")
    tables = set(inspect(engine).get_table_names())
    assert {"disposal", "disposal_event"} <= tables
    indexes = {i["name"]: i for i in inspect(engine).get_indexes("disposal")}
    assert indexes["uq_disposal_waiting_loan"]["unique"]
    assert indexes["uq_disposal_collateral"]["unique"]
    downgrade(engine, "0018")
    assert not {"disposal", "disposal_event"} & set(inspect(engine).get_table_names())
    migrate(engine, "0019")
    assert {"disposal", "disposal_event"} <= set(inspect(engine).get_table_names())
