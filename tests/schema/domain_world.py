"""The world the domain tests read: a generated 300-borrower portfolio imported and scanned
once per backend (embedded on SQLite and PostgreSQL, Neo4j), behind a graph store that
counts its calls, and :func:`run` to execute a document against it."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from auth.principal import Role
from graph.model import RelType
from loanwatch.migrations import migrate
from portfolio.database import create_sql_engine
from risk.rules.loader import DEFAULT_RULES_FILE, load_rules
from risk.scan import run_scan
from risk.scan_results import LoanResult, loan_results
from schema import LoanwatchSchema, build_context
from seeds.config import PortfolioConfig
from seeds.generate import generate_portfolio
from tests.ingest.importing import import_files
from tests.principals import principal_of
from tests.risk.rules.stores import empty_database
from tests.schema.sample import Counting, CountingNeo4jStore, CountingStore
from tests.services import open_neo4j_store

__all__ = ["AS_OF", "Scanned", "portfolio", "run", "scanned"]

AS_OF = date(2025, 6, 30)


@dataclass
class Scanned:
    """A generated portfolio imported and scanned: its records and its counting graph."""

    engine: Engine
    graph: Counting
    results: dict[str, LoanResult]

    def borrowers(self) -> dict[str, list[LoanResult]]:
        by_party: dict[str, list[LoanResult]] = defaultdict(list)
        for result in self.results.values():
            by_party[result.borrower_id].append(result)
        return by_party


@pytest.fixture(scope="module")
def portfolio(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("domain") / "portfolio"
    generate_portfolio(PortfolioConfig(borrowers=300, seed=3), out)
    return out


@pytest.fixture(scope="module", params=[
    "embedded-sqlite",
    pytest.param("embedded-postgres", marks=pytest.mark.postgres),
    pytest.param("neo4j", marks=pytest.mark.neo4j),
])
def scanned(request: pytest.FixtureRequest, portfolio: Path,
            tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scanned]:
    """The portfolio imported and scanned once per backend, for read-only tests."""
    sqlite = create_sql_engine(f"sqlite:///{tmp_path_factory.mktemp('db') / 'lw.db'}")
    migrate(sqlite)
    neo4j: CountingNeo4jStore | None = None
    if request.param == "embedded-postgres":
        engine: Engine = request.getfixturevalue("postgres_engine")
        empty_database(engine)
        graph: Counting = CountingStore(engine)
    elif request.param == "neo4j":
        engine = sqlite
        neo4j = open_neo4j_store(CountingNeo4jStore)
        neo4j.delete_all()
        graph = neo4j
    else:
        engine = sqlite
        graph = CountingStore(engine)
    import_files([portfolio], graph, engine)
    run_scan(engine, graph, AS_OF, rules=load_rules(DEFAULT_RULES_FILE), version="test")
    loans = sorted({target for batch in graph.iter_edges([RelType.BORROWS])
                    for _, _, target, _, _ in batch})
    yield Scanned(engine, graph, loan_results(engine, loans))
    if neo4j is not None:
        neo4j.delete_all()
        neo4j.close()
    sqlite.dispose()


def run(schema: LoanwatchSchema, scanned: Scanned, document: str, *,
        visible: bool = True, **variables: Any) -> dict[str, Any]:
    result = asyncio.run(schema.execute(
        document, variable_values=variables or None,
        context_value=build_context(
            scanned.graph, records=scanned.engine,
            principal=principal_of(Role.INVESTIGATOR if visible else Role.ANALYST))))
    assert result.errors is None, result.errors
    assert result.data is not None
    return result.data
