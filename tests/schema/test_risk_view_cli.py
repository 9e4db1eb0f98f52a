"""What GraphQL draws is what the command line prints: a circle's guarantee edges are those
of ``loanwatch circles --json``, an alert's evidence path the edges of ``loanwatch alerts
show --json``, on one database after a real scan."""

from __future__ import annotations

import asyncio
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import orjson
import pytest
from sqlalchemy import Engine

from graph.stores.embedded import EmbeddedGraphStore
from loanwatch.cli.graphiql_links import graphiql_link
from risk.alerts.lifecycle import list_alerts
from risk.rules.loader import DEFAULT_RULES_FILE, load_rules
from risk.scan import run_scan
from schema import build_context, build_schema
from seeds.config import PortfolioConfig
from seeds.generate import generate_portfolio
from tests.command_line import command_line_database, run_loanwatch
from tests.ingest.importing import import_files

AS_OF = date(2025, 6, 30)
CIRCLES = """
query($after: String) { circles(first: 100, after: $after) {
  pageInfo { hasNextPage endCursor }
  edges { node { kind members loans exposure { amount currency }
    guarantees { guarantor borrower loans amount { amount currency } } } } } }
"""
PARTY_ALERTS = """
query($id: ID!) { party(id: $id) { alerts(first: 100) { id evidencePath { type source target
  key } } } }
"""


@pytest.fixture
def scanned(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Engine,
                                                                       EmbeddedGraphStore]:
    engine = command_line_database(tmp_path, monkeypatch)
    out = tmp_path / "portfolio"
    generate_portfolio(PortfolioConfig(borrowers=400, seed=3), out)
    graph = EmbeddedGraphStore(engine)
    import_files([out], graph, engine)
    run_scan(engine, graph, AS_OF, rules=load_rules(DEFAULT_RULES_FILE), version="test")
    return engine, graph


def _query(engine: Engine, graph: EmbeddedGraphStore, document: str,
           variables: dict[str, Any]) -> dict:
    result = asyncio.run(build_schema(mask_errors=False).execute(
        document, variable_values=variables,
        context_value=build_context(graph, records=engine)))
    assert result.errors is None, result.errors
    return result.data


def _printed(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
             *args: str) -> Any:
    capsys.readouterr()
    assert run_loanwatch(monkeypatch, *args) == 0
    return orjson.loads(capsys.readouterr().out)


def _money(amounts: dict[str, str]) -> list[dict[str, str]]:
    return [{"amount": a, "currency": c} for c, a in sorted(amounts.items())]


def test_circles_and_alert_paths_are_the_edges_the_command_line_prints(
        scanned: tuple[Engine, EmbeddedGraphStore], monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    engine, graph = scanned
    shown: list[dict] = []
    after = None
    while True:
        page = _query(engine, graph, CIRCLES, {"after": after})["circles"]
        shown += [edge["node"] for edge in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]

    printed = _printed(monkeypatch, capsys, "circles", "--json")["circles"]

    assert len(shown) == len(printed) > 0
    by_members = {(c["kind"], tuple(c["members"])): c for c in printed}
    for circle in shown:
        cli = by_members[(circle["kind"].lower(), tuple(circle["members"]))]
        assert circle["loans"] == cli["loans"]
        assert circle["exposure"] == _money(cli["exposure"])
        assert circle["guarantees"] == [
            {"guarantor": e["guarantor"], "borrower": e["borrower"], "loans": e["loans"],
             "amount": _money(e["amount"])} for e in cli["edges"]]

    alert = next(a for a in list_alerts(engine, limit=10_000)
                 if a.subject_kind == "party" and a.evidence.get("edges"))
    printed_alert = _printed(monkeypatch, capsys, "alerts", "show", str(alert.id), "--json")
    paths = {a["id"]: a["evidencePath"] for a in _query(
        engine, graph, PARTY_ALERTS, {"id": alert.subject_id})["party"]["alerts"]}
    assert paths[f"Alert:{alert.id}"] == [
        {"type": e["type"], "source": e["source"], "target": e["target"], "key": e["key"]}
        for e in printed_alert["evidence"]["edges"]]


def test_the_graphiql_link_of_an_alert_runs_and_shows_its_evidence_path(
        scanned: tuple[Engine, EmbeddedGraphStore], monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    engine, graph = scanned
    monkeypatch.setenv("LOANWATCH_PORT", "8123")
    alert = next(a for a in list_alerts(engine, limit=10_000) if a.evidence.get("edges"))

    printed = _printed(monkeypatch, capsys, "alerts", "show", str(alert.id), "--json")

    link = urlsplit(printed["graphiql"])
    assert (link.scheme, link.netloc, link.path) == ("http", "127.0.0.1:8123", "/graphql")
    parameters = parse_qs(link.query)
    shown = _query(engine, graph, parameters["q"][0],
                   orjson.loads(parameters["variables"][0]))["alert"]
    assert shown["id"] == f"Alert:{alert.id}"
    assert shown["rule"] == alert.rule_id
    assert shown["evidencePath"] == [
        {"type": e["type"], "source": e["source"], "target": e["target"], "key": e["key"]}
        for e in printed["evidence"]["edges"]]
    assert {n["id"] for n in shown["evidenceNodes"]} >= {
        e["source"] for e in printed["evidence"]["edges"]}


def test_an_unknown_alert_is_not_found(scanned: tuple[Engine, EmbeddedGraphStore]) -> None:
    engine, graph = scanned
    result = asyncio.run(build_schema(mask_errors=False).execute(
        'query { alert(id: "987654321") { id } }',
        context_value=build_context(graph, records=engine)))
    assert result.errors is not None
    assert result.errors[0].extensions["code"] == "NOT_FOUND"
    assert "no alert with id 987654321" in result.errors[0].message


def test_a_graphiql_link_encodes_spaces_as_the_page_decodes_them() -> None:
    # The page reads its parameters with decodeURIComponent: "+" would stay a plus sign.
    link = graphiql_link("0.0.0.0", 8000, "query A { b }", {"id": "1"})
    assert link == ("http://127.0.0.1:8000/graphql?q=query%20A%20%7B%20b%20%7D"
                    "&variables=%7B%22id%22%3A%20%221%22%7D")
