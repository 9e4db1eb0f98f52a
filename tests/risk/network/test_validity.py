"""Groups and rings read as of a date: relationships that started or ended drop in and out,
undated ones are taken as they stand and counted, and nothing changes without dates."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import orjson
import pytest
from sqlalchemy import Engine

from graph.model import Edge, Label, Node, RelType
from graph.store import GraphStore
from graph.stores.embedded import EmbeddedGraphStore
from graph.validity import ValiditySummary
from loanwatch.migrations import migrate
from portfolio.database import create_sql_engine
from risk.network.groups import find_groups, read_ownership
from risk.network.rings import read_identifier_links, read_rings
from tests.command_line import run_loanwatch
from tests.graph.conftest import postgres_graph_store, store  # noqa: F401 - fixtures

BEFORE, AFTER = date(2021, 6, 30), date(2023, 6, 30)


def _ownership_graph(dated: bool = True) -> tuple[list[Node], list[Edge]]:
    """C1 holds 80 % of C2 and 70 % of C3 (undated); P1 bought 60 % of C1 on 2022-01-01."""
    nodes = [Node("P1", Label.PERSON), *(Node(c, Label.COMPANY) for c in ("C1", "C2", "C3"))]
    bought = {"pct": 0.6, "valid_from": "2022-01-01"} if dated else {"pct": 0.6}
    edges = [Edge(RelType.OWNS, "P1", "C1", props=bought),
             Edge(RelType.OWNS, "C1", "C2", props={"pct": 0.8}),
             Edge(RelType.OWNS, "C1", "C3", props={"pct": 0.7})]
    return nodes, edges


def test_a_group_before_and_after_its_controller_bought_in(
        store: GraphStore) -> None:  # noqa: F811
    store.upsert_batch(*_ownership_graph())

    before = find_groups(store, as_of=BEFORE)
    after = find_groups(store, as_of=AFTER)
    stored = find_groups(store)

    assert [(g.controller, g.members) for g in before.groups] == [("C1", ["C1", "C2", "C3"])]
    assert [(g.controller, g.members) for g in after.groups] == [("P1", ["C1", "C2", "C3"])]
    assert before.validity == ValiditySummary(BEFORE, total=3, undated=2, excluded=1)
    assert after.validity == ValiditySummary(AFTER, total=3, undated=2, excluded=0)
    assert stored.groups == after.groups
    assert stored.validity == ValiditySummary(None, total=3, undated=2, excluded=0)


def test_without_dates_every_date_reads_the_graph_as_it_stands(
        store: GraphStore) -> None:  # noqa: F811
    store.upsert_batch(*_ownership_graph(dated=False))

    as_stored = read_ownership(store)
    as_of = read_ownership(store, BEFORE)

    assert (as_of.ids, as_of.holders.tolist(), as_of.held.tolist(), as_of.pct.tolist()) == (
        as_stored.ids, as_stored.holders.tolist(), as_stored.held.tolist(),
        as_stored.pct.tolist())
    assert as_of.validity == ValiditySummary(BEFORE, total=3, undated=3, excluded=0)
    assert find_groups(store, as_of=BEFORE).groups == find_groups(store).groups


def _ring_graph() -> tuple[list[Node], list[Edge]]:
    """P1, P2 share a phone (undated); P3 used it from 2020-01-01 until 2023-01-01."""
    nodes = [*(Node(p, Label.PERSON) for p in ("P1", "P2", "P3")),
             Node("phone:1", Label.PHONE, {"value": "+8613912345678"})]
    edges = [Edge(RelType.USES, "P1", "phone:1"), Edge(RelType.USES, "P2", "phone:1"),
             Edge(RelType.USES, "P3", "phone:1",
                  props={"valid_from": "2020-01-01", "valid_to": "2023-01-01"})]
    return nodes, edges


def test_a_ring_that_existed_and_ended(store: GraphStore) -> None:  # noqa: F811
    store.upsert_batch(*_ring_graph())

    def members(as_of: date | None) -> list[list[str]]:
        return [r.members for r in read_rings(store, as_of=as_of, masked=False).rings]

    assert members(date(2019, 12, 31)) == []
    assert members(date(2020, 1, 1)) == [["P1", "P2", "P3"]]
    assert members(date(2022, 12, 31)) == [["P1", "P2", "P3"]]
    assert members(date(2023, 1, 1)) == []  # the day P3 gave the phone up
    assert members(None) == [["P1", "P2", "P3"]]
    report = read_rings(store, as_of=AFTER)
    assert report.validity == ValiditySummary(AFTER, total=3, undated=2, excluded=1)
    parties, idents, kinds, src, dst = read_identifier_links(store, AFTER)
    assert (parties, idents, kinds, len(src), len(dst)) == (
        ["P1", "P2"], ["phone:1"], ["phone"], 2, 2)


# -- the command line -------------------------------------------------------------------------


@pytest.fixture
def cli_graph(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> EmbeddedGraphStore:
    for name in list(os.environ):
        if name.startswith("LOANWATCH_") and not name.startswith("LOANWATCH_TEST_"):
            monkeypatch.delenv(name)
    url = f"sqlite:///{tmp_path / 'lw.db'}"
    monkeypatch.setenv("LOANWATCH_DATABASE_URL", url)
    monkeypatch.setenv("LOANWATCH_NEO4J_URI", "")
    monkeypatch.setenv("COLUMNS", "200")
    engine: Engine = create_sql_engine(url)
    migrate(engine)
    return EmbeddedGraphStore(engine)


def test_groups_as_of_json_says_how_many_relationships_had_no_dates(
        cli_graph: EmbeddedGraphStore, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    cli_graph.upsert_batch(*_ownership_graph())

    code = run_loanwatch(monkeypatch, "groups", "--json", "--as-of", "2021-06-30")

    document = orjson.loads(capsys.readouterr().out)
    assert code == 0
    assert [g["controller"] for g in document["groups"]] == ["C1"]
    assert document["validity"] == {"as_of": "2021-06-30", "relationships": 3, "undated": 2,
                                    "excluded": 1}


def test_groups_without_as_of_keep_their_json_and_the_table_states_the_undated(
        cli_graph: EmbeddedGraphStore, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    cli_graph.upsert_batch(*_ownership_graph())

    assert run_loanwatch(monkeypatch, "groups", "--json") == 0
    assert set(orjson.loads(capsys.readouterr().out)) == {"groups"}
    assert run_loanwatch(monkeypatch, "groups", "--as-of", "2023-06-30") == 0
    out = capsys.readouterr().out
    assert ("ownership as of 2023-06-30: 3 of 3 relationships held; 2 had no dates and were "
            "taken as they stand") in out


def test_rings_as_of_table_and_json(cli_graph: EmbeddedGraphStore,
                                    monkeypatch: pytest.MonkeyPatch,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    cli_graph.upsert_batch(*_ring_graph())

    assert run_loanwatch(monkeypatch, "rings", "--as-of", "2022-06-30") == 0
    table = capsys.readouterr().out
    assert run_loanwatch(monkeypatch, "rings", "--json", "--as-of", "2023-06-30") == 0
    document = orjson.loads(capsys.readouterr().out)

    assert "P1, P2, P3" in table
    assert ("identifier links as of 2022-06-30: 3 of 3 relationships held; 2 had no dates "
            "and were taken as they stand") in table
    assert document == {"rings": [], "public": [], "validity": {
        "as_of": "2023-06-30", "relationships": 3, "undated": 2, "excluded": 1}}


def test_a_bad_as_of_date_is_a_usage_error(cli_graph: EmbeddedGraphStore,
                                           monkeypatch: pytest.MonkeyPatch,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    code = run_loanwatch(monkeypatch, "rings", "--as-of", "2023-02-30")

    captured = capsys.readouterr()
    assert code == 2
    assert "--as-of" in captured.err and "Traceback" not in captured.err


def test_a_stored_date_that_is_no_date_is_an_error_naming_it(
        cli_graph: EmbeddedGraphStore, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    nodes, edges = _ownership_graph()
    edges.append(Edge(RelType.OWNS, "P1", "C3", props={"pct": 0.1, "valid_to": "soon"}))
    cli_graph.upsert_batch(nodes, edges)

    code = run_loanwatch(monkeypatch, "groups", "--as-of", "2023-06-30")

    err = capsys.readouterr().err
    assert code == 1
    assert "valid_from/valid_to holds 'soon', not a date YYYY-MM-DD" in err
    assert "Traceback" not in err
    # As stored, dates are not applied: the same graph reads as before.
    assert run_loanwatch(monkeypatch, "groups", "--json") == 0
    assert [g["controller"] for g in orjson.loads(capsys.readouterr().out)["groups"]] == ["P1"]
