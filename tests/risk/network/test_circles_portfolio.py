"""Every guarantee circle, mutual pair and joint group the generator plants is found, on a
small generated portfolio imported into each real store, and by ``loanwatch circles``."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from sqlalchemy import create_engine
from typer.testing import CliRunner

from graph.store import GraphStore
from graph.stores.embedded import EmbeddedGraphStore
from loanwatch.cli.main import app
from loanwatch.migrations import migrate
from risk.network.circles import find_circles
from risk.projection import project_portfolio
from seeds.config import PortfolioConfig
from seeds.generate import generate_portfolio
from tests.graph.conftest import postgres_graph_store, store  # noqa: F401 - fixtures
from tests.ingest.importing import import_files

#: The files the guarantee graph is made of (the rest of a portfolio is not needed here).
GRAPH_FILES = ("persons.csv", "companies.csv", "loans.csv", "guarantees.csv")


@pytest.fixture(scope="module")
def portfolio(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("portfolio")
    generate_portfolio(PortfolioConfig(borrowers=2_000), out)
    return out


def _truth(portfolio: Path) -> dict[str, Any]:
    return orjson.loads((portfolio / "ground_truth" / "ground_truth.json").read_bytes())


def _planted(portfolio: Path) -> dict[str, set[frozenset[str]]]:
    truth = _truth(portfolio)
    return {
        "circle": {frozenset(c["members"]) for c in truth["guarantee_circles"]},
        "mutual": {frozenset(pair) for pair in truth["mutual_pairs"]},
        "joint": {frozenset(group) for group in truth["joint_groups"]},
    }


def _found(circles: list[tuple[str, list[str]]]) -> dict[str, set[frozenset[str]]]:
    found: dict[str, set[frozenset[str]]] = {"circle": set(), "mutual": set(), "joint": set()}
    for kind, members in circles:
        found[kind].add(frozenset(members))
    return found


def test_every_planted_structure_is_found(portfolio: Path,
                                          store: GraphStore) -> None:  # noqa: F811
    engine = create_engine("sqlite://")
    migrate(engine)  # the import's records; the graph goes to ``store``
    report = import_files([portfolio / name for name in GRAPH_FILES], store, engine)
    assert report.complete
    circles = find_circles(project_portfolio(store)).circles
    found = _found([(c.kind, list(c.members)) for c in circles])
    planted = _planted(portfolio)
    assert planted["circle"] and planted["mutual"] and planted["joint"]
    for kind in ("circle", "mutual", "joint"):
        assert planted[kind] <= found[kind], kind
    # A planted circle lists its members in cycle order, each guaranteeing the next.
    for circle in circles:
        if circle.kind == "circle" and circle.scope == "cycle":
            ring = list(zip(circle.members, circle.members[1:] + circle.members[:1],
                            strict=True))
            assert [(e.guarantor, e.borrower) for e in circle.edges] == ring


@pytest.fixture
def database(tmp_path: Path, portfolio: Path) -> Iterator[str]:
    url = f"sqlite:///{tmp_path / 'lw.db'}"
    engine = create_engine(url)
    migrate(engine)
    import_files([portfolio / name for name in GRAPH_FILES], EmbeddedGraphStore(engine),
                 engine)
    engine.dispose()
    yield url


def _env(url: str) -> dict[str, str]:
    return {"LOANWATCH_DATABASE_URL": url, "LOANWATCH_NEO4J_URI": "", "COLUMNS": "200"}


def test_the_json_of_loanwatch_circles_finds_every_planted_structure(
        database: str, portfolio: Path) -> None:
    result = CliRunner().invoke(app, ["circles", "--json"], env=_env(database))
    assert result.exit_code == 0, result.output
    document = orjson.loads(result.stdout)  # exactly one JSON document
    assert list(document) == ["circles"]
    for circle in document["circles"]:
        assert circle["kind"] in ("circle", "mutual", "joint")
        assert circle["loans"] and set(circle["exposure"]) == {"CNY"}
        assert circle["exposure"]["CNY"].replace(".", "", 1).isdigit()
    found = _found([(c["kind"], c["members"]) for c in document["circles"]])
    for kind, planted in _planted(portfolio).items():
        assert planted <= found[kind], kind


def test_loanwatch_circles_prints_a_table_and_honours_min_size(database: str) -> None:
    result = CliRunner().invoke(app, ["circles", "--min-size", "5"], env=_env(database))
    assert result.exit_code == 0, result.output
    assert "Guarantee circles" in result.output and "strongly connected parts" in result.output
    assert " 0 mutual guarantees" in result.output  # pairs are below five parties
    as_json = CliRunner().invoke(app, ["circles", "--json", "--min-size", "5",
                                       "--max-cycle-length", "3"], env=_env(database))
    circles = orjson.loads(as_json.stdout)["circles"]
    assert circles and all(len(c["members"]) >= 5 for c in circles)
    assert not any(c["scope"] == "cycle" for c in circles)  # no cycle of 5+ within 3


def test_loanwatch_circles_refuses_a_bad_cycle_length(database: str) -> None:
    result = CliRunner().invoke(app, ["circles", "--max-cycle-length", "2"],
                                env=_env(database))
    assert result.exit_code == 2
    assert "--max-cycle-length" in result.output
