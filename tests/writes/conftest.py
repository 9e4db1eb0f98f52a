"""Stores for the write tests: a migrated SQL database and a graph store, on every backend
pairing the API runs on, seeded by the importer with a tiny portfolio.

* ``embedded-sqlite``: the embedded graph in the records' SQLite file (one transaction);
* ``embedded-postgres``: the embedded graph in the records' PostgreSQL database;
* ``neo4j-postgres``: Neo4j beside PostgreSQL (two stores, as in production).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import Engine

from graph.store import GraphStore
from graph.stores.embedded import EmbeddedGraphStore
from loanwatch.migrations import migrate
from portfolio.database import create_sql_engine
from tests.ingest.importing import import_files, write
from tests.portfolio.databases import empty_database, postgres_engine

__all__ = ["Stores", "postgres_engine", "stores"]


@dataclass(frozen=True)
class Stores:
    graph: GraphStore
    engine: Engine
    backend: str


def seed(stores: Stores, folder: Path) -> None:
    """A company borrowing a CNY loan, a person guaranteeing it, two accounts, a stranger."""
    folder.mkdir()
    write(folder, "companies.csv", """
        id,name
        C1,Huaxin Trading
        """)
    write(folder, "persons.csv", """
        id,name
        P1,Zhang Wei
        P2,Li Na
        """)
    write(folder, "loans.csv", """
        id,borrower_id,product,principal,currency,annual_rate,term_months,disbursed_on,maturity_on,repayment_method
        L1,C1,working_capital,500000.00,CNY,0.05,12,2025-01-15,2026-01-15,annuity
        """)
    write(folder, "accounts.csv", """
        id,holder_id,bank
        A1,C1,ICBC
        A2,P1,BOC
        """)
    write(folder, "guarantees.csv", """
        guarantor_id,loan_id,amount
        P1,L1,100000.00
        """)
    report = import_files([folder], graph=stores.graph, engine=stores.engine)
    assert report.rows_rejected == 0, report.rejects


@pytest.fixture(params=[
    "embedded-sqlite",
    pytest.param("embedded-postgres", marks=pytest.mark.postgres),
    pytest.param("neo4j-postgres", marks=[pytest.mark.neo4j, pytest.mark.postgres]),
])
def stores(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Stores]:
    """Each backend pairing in turn, migrated, seeded with the tiny portfolio."""
    if request.param == "embedded-sqlite":
        engine = create_sql_engine(f"sqlite:///{tmp_path / 'loanwatch.db'}")
        migrate(engine)
        pair = Stores(EmbeddedGraphStore(engine), engine, request.param)
        seed(pair, tmp_path / "seed")
        yield pair
        engine.dispose()
        return
    engine = request.getfixturevalue("postgres_engine")
    empty_database(engine)
    if request.param == "embedded-postgres":
        graph: GraphStore = EmbeddedGraphStore(engine)
    else:
        graph = request.getfixturevalue("neo4j_store")
        graph.delete_all()
    pair = Stores(graph, engine, request.param)
    seed(pair, tmp_path / "seed")
    yield pair
