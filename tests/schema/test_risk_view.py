"""The risk core through GraphQL after a real ``run_scan``, on every backend: the circles as
a Relay connection, the scan run read, and a party's circles, group, rings and alerts, each
with its evidence path, batched per request."""

from __future__ import annotations

import asyncio
import re
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import orjson
import pytest
from sqlalchemy import Engine, event
from sqlmodel import Session, select

from graph.model import Label, RelType
from graph.personal_data import mask_value
from portfolio.alerts import Alert
from risk.network.circles import CircleOptions, find_circles
from risk.projection import project_portfolio
from risk.rules.loader import DEFAULT_RULES_FILE, load_rules
from risk.scan import run_scan
from risk.scan_circles import circle_ranking
from risk.scan_results import findings_by_party, latest_run
from schema import build_context, build_schema
from seeds.config import PortfolioConfig
from seeds.generate import generate_portfolio
from tests.ingest.importing import import_files
from tests.portfolio.databases import postgres_engine, sqlite_engine
from tests.risk.rules.stores import Stores, stores
from tests.schema.sample import Counting

__all__ = ["postgres_engine", "sqlite_engine", "stores"]

AS_OF = date(2025, 6, 30)
CIRCLES = """
query($kind: CircleKind, $minMembers: Int! = 2, $first: Int!, $after: String) {
  circles(kind: $kind, minMembers: $minMembers, first: $first, after: $after) {
    totalCount scanRun
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { cursor node { id scanRun kind scope component members memberCount loans
      exposure { amount currency } guaranteed { amount currency }
      guarantees { guarantor borrower loans amount { amount currency } }
      evidencePath { type source target key } } }
  }
}
"""
SCAN_RUN = "{ scanRun { id asOf status finishedAt codeVersion phases { name seconds peakMib } "\
    "counts } }"
PARTY = """
query($id: ID!, $status: String) {
  party(id: $id) {
    findings { kind members }
    circles { id kind members guarantees { guarantor borrower loans }
      evidencePath { type source target } }
    group { controller members controlEdges { holder held pct } loans guarantors
      exposure { amount currency } evidencePath { type source target } }
    rings { members shared { id kind value } evidencePath { type source target } }
    alerts(status: $status, first: 100) { id rule subjectKind subjectId status raisedAt
      signals evidencePath { type source target key } }
  }
}
"""
PAGE = """
query($first: Int!) {
  searchParties(text: "0", first: $first) { edges { node { id
    circles { id kind } group { controller } rings { shared { id kind value } }
    alerts(first: 5) { id subjectId } } } }
}
"""


@pytest.fixture(scope="module")
def portfolio(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    """400 borrowers: a planted guarantee circle, joint groups, mutual pairs, a corporate
    group and a ring sharing a phone and a device."""
    out = tmp_path_factory.mktemp("risk-view") / "portfolio"
    generate_portfolio(PortfolioConfig(borrowers=400, seed=3), out)
    return out, orjson.loads((out / "ground_truth" / "ground_truth.json").read_bytes())


def _scanned(stores: Stores, portfolio: tuple[Path, dict]) -> dict:
    out, truth = portfolio
    import_files([out], stores.graph, stores.engine)
    run_scan(stores.engine, stores.graph, AS_OF, rules=load_rules(DEFAULT_RULES_FILE),
             version="test")
    return truth


def _run(stores: Stores, document: str, variables: dict[str, Any] | None = None, *,
         personal_data_visible: bool = False) -> Any:
    return asyncio.run(build_schema(mask_errors=False).execute(
        document, variable_values=variables,
        context_value=build_context(stores.graph, records=stores.engine,
                                    personal_data_visible=personal_data_visible)))


def _query(stores: Stores, document: str, variables: dict[str, Any] | None = None,
           **options: bool) -> dict:
    result = _run(stores, document, variables, **options)
    assert result.errors is None, result.errors
    return result.data


def _codes(result: Any) -> list[str]:
    return [(error.extensions or {}).get("code") for error in result.errors or []]


def _money(amounts: dict[str, str]) -> list[dict[str, str]]:
    return [{"amount": amount, "currency": code} for code, amount in sorted(amounts.items())]


def test_before_any_scan_there_are_no_circles_and_no_run(
        stores: Stores, portfolio: tuple[Path, dict]) -> None:
    import_files([portfolio[0]], stores.graph, stores.engine)
    page = _query(stores, CIRCLES, {"first": 5})["circles"]
    assert (page["edges"], page["totalCount"], page["scanRun"]) == ([], 0, None)
    assert page["pageInfo"]["hasNextPage"] is False
    assert _query(stores, SCAN_RUN)["scanRun"] is None


def test_circles_page_by_exposure_with_the_edges_the_command_line_finds(
        stores: Stores, portfolio: tuple[Path, dict]) -> None:
    truth = _scanned(stores, portfolio)
    run = latest_run(stores.engine)
    assert run is not None
    ranking = circle_ranking(stores.engine)
    total = len(ranking.circles)
    assert total >= 1 + len(truth["joint_groups"]) + len(truth["mutual_pairs"])

    # Walk every page of 3 and check the cursors chain.
    shown: list[dict] = []
    after = None
    while True:
        page = _query(stores, CIRCLES, {"first": 3, "after": after})["circles"]
        assert page["totalCount"] == total and page["scanRun"] == run.id
        assert len(page["edges"]) <= 3
        assert page["pageInfo"]["hasPreviousPage"] is (after is not None)
        assert page["pageInfo"]["endCursor"] == page["edges"][-1]["cursor"]
        shown += [edge["node"] for edge in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert [int(c["id"]) for c in shown] == [c.id for c in ranking.circles]
    assert len({c["id"] for c in shown}) == total
    # Largest exposure first (one currency here), then by id.
    keys = [(-Decimal(c["exposure"][0]["amount"]), int(c["id"])) for c in shown]
    assert keys == sorted(keys)

    # The same circles, members and guarantee edges as `loanwatch circles` finds.
    found = find_circles(project_portfolio(stores.graph),
                         CircleOptions(max_cycle_length=run.settings.get(
                             "max_cycle_length", CircleOptions().max_cycle_length)))
    cli = {(c.kind, tuple(c.members)): c for c in found.circles}
    assert {(c["kind"].lower(), tuple(c["members"])) for c in shown} == set(cli)
    for circle in shown:
        expected = cli[(circle["kind"].lower(), tuple(circle["members"]))]
        assert circle["memberCount"] == len(expected.members)
        assert circle["loans"] == list(expected.loans)
        assert circle["exposure"] == _money(expected.exposure)
        assert circle["guaranteed"] == _money(expected.guaranteed)
        assert circle["guarantees"] == [
            {"guarantor": e.guarantor, "borrower": e.borrower, "loans": list(e.loans),
             "amount": _money(e.amount)} for e in expected.edges]
        assert circle["evidencePath"] == [
            edge for e in expected.edges for loan in e.loans for edge in (
                {"type": "GUARANTEES", "source": e.guarantor, "target": loan, "key": ""},
                {"type": "BORROWS", "source": e.borrower, "target": loan, "key": ""})]
    planted = {tuple(sorted(c["members"])) for c in truth["guarantee_circles"]}
    assert planted and planted <= {
        tuple(sorted(c["members"])) for c in shown if c["kind"] == "CIRCLE"}

    # Filters: a kind, and a size.
    mutual = _query(stores, CIRCLES, {"kind": "MUTUAL", "first": 100})["circles"]
    assert {tuple(sorted(e["node"]["members"])) for e in mutual["edges"]} >= {
        tuple(sorted(pair)) for pair in truth["mutual_pairs"]}
    assert all(e["node"]["kind"] == "MUTUAL" for e in mutual["edges"])
    large = _query(stores, CIRCLES, {"minMembers": 3, "first": 100})["circles"]
    assert large["totalCount"] == sum(c["memberCount"] >= 3 for c in shown)
    assert all(e["node"]["memberCount"] >= 3 for e in large["edges"])


@pytest.mark.parametrize(("variables", "message"), [
    ({"first": 0}, "first must be between 1 and 100"),
    ({"first": 101}, "first must be between 1 and 100"),
    ({"first": 5, "after": "not-a-cursor"}, "is not a cursor"),
    ({"first": 5, "minMembers": 1}, "minMembers must be between 2"),
])
def test_bad_circle_arguments_are_the_clients_error(
        stores: Stores, variables: dict[str, Any], message: str) -> None:
    result = _run(stores, CIRCLES, variables)
    assert _codes(result) == ["BAD_USER_INPUT"]
    assert message in result.errors[0].message


def test_the_scan_run_says_which_run_the_fields_read(
        stores: Stores, portfolio: tuple[Path, dict]) -> None:
    _scanned(stores, portfolio)
    run = latest_run(stores.engine)
    assert run is not None
    data = _query(stores, SCAN_RUN)["scanRun"]
    assert (data["id"], data["asOf"], data["status"], data["codeVersion"]) == (
        run.id, AS_OF.isoformat(), "succeeded", "test")
    assert data["finishedAt"] is not None
    assert [p["name"] for p in data["phases"]] == list(run.phases)
    assert all(p["seconds"] >= 0 and p["peakMib"] > 0 for p in data["phases"])
    assert data["counts"] == run.summary and data["counts"]["loans"] > 0


def test_a_partys_circles_group_and_rings_with_their_evidence_paths(
        stores: Stores, portfolio: tuple[Path, dict]) -> None:
    truth = _scanned(stores, portfolio)
    # A member of a planted joint group: its circles hold the group, edges among members.
    joint = sorted(truth["joint_groups"][0])
    data = _query(stores, PARTY, {"id": joint[0]})["party"]
    [group] = [c for c in data["circles"] if sorted(c["members"]) == joint]
    assert group["kind"] == "JOINT"
    assert {(g["guarantor"], g["borrower"]) for g in group["guarantees"]} == {
        (a, b) for a in joint for b in joint if a != b}
    for g in group["guarantees"]:
        for loan in g["loans"]:
            assert {"type": "GUARANTEES", "source": g["guarantor"], "target": loan} in \
                group["evidencePath"]
            assert {"type": "BORROWS", "source": g["borrower"], "target": loan} in \
                group["evidencePath"]
    # Party.findings still answers, and agrees.
    assert {"kind": "joint", "members": group["members"]} in data["findings"]

    # The planted corporate group, from one of its companies.
    planted = truth["groups"][0]
    data = _query(stores, PARTY, {"id": planted["members"][-1]})["party"]
    got = data["group"]
    assert got["controller"] == planted["controller"]
    assert set(got["members"]) >= set(planted["members"])
    [stored] = [f for f in findings_by_party(stores.engine, [planted["controller"]])[
        planted["controller"]] if f.kind == "group"]
    assert got["controlEdges"] == stored.evidence["control_edges"]
    assert got["evidencePath"] == [{"type": "OWNS", "source": e["holder"],
                                    "target": e["held"]} for e in got["controlEdges"]]
    assert got["exposure"] == _money(stored.evidence["exposure"])
    assert got["loans"] == stored.evidence["loans"]

    # The planted ring sharing a phone and a device.
    ring = next(r for r in truth["identity_rings"] if "phone" in r["kinds"])
    members = sorted(ring["members"])
    data = _query(stores, PARTY, {"id": members[0]})["party"]
    [got_ring] = [r for r in data["rings"] if r["members"] == members]
    assert {s["kind"] for s in got_ring["shared"]} == {"phone", "device"}
    assert got_ring["evidencePath"] == [
        {"type": "USES", "source": m, "target": s["id"]}
        for m in members for s in got_ring["shared"]]
    assert all(e["type"] == RelType.USES.value for e in got_ring["evidencePath"])
    # A party outside every structure has none.
    inside = {m for found in findings_by_party(stores.engine, [f"P{i:08d}" for i in
                                                               range(1, 40)]).values()
              for f in found for m in f.members}
    loner = next(f"P{i:08d}" for i in range(1, 40) if f"P{i:08d}" not in inside)
    data = _query(stores, PARTY, {"id": loner})["party"]
    assert (data["findings"], data["circles"], data["group"], data["rings"]) == (
        [], [], None, [])


def test_ring_identifiers_are_masked_unless_personal_data_is_visible(
        stores: Stores, portfolio: tuple[Path, dict]) -> None:
    truth = _scanned(stores, portfolio)
    ring = next(r for r in truth["identity_rings"] if "phone" in r["kinds"])
    member = sorted(ring["members"])[0]
    masked = _query(stores, PARTY, {"id": member})["party"]["rings"]
    shown = _query(stores, PARTY, {"id": member}, personal_data_visible=True)["party"]["rings"]
    [masked_ring] = [r for r in masked if r["members"] == sorted(ring["members"])]
    [shown_ring] = [r for r in shown if r["members"] == sorted(ring["members"])]
    values = {s["kind"]: s["value"] for s in shown_ring["shared"]}
    assert values["phone"] == ring["values"]["phone"]
    assert values["device"] == ring["values"]["device"]
    hidden = {s["kind"]: s["value"] for s in masked_ring["shared"]}
    assert hidden["phone"] == mask_value(Label.PHONE, "value", ring["values"]["phone"])
    assert hidden["phone"].endswith(ring["values"]["phone"][-4:])
    assert ring["values"]["phone"] not in str(masked)
    assert hidden["device"] is None  # a device id is withheld
    # The ids are keyed hashes, the same either way.
    assert [s["id"] for s in masked_ring["shared"]] == [s["id"] for s in shown_ring["shared"]]


def test_a_partys_alerts_are_its_own_and_its_loans_newest_first(
        stores: Stores, portfolio: tuple[Path, dict]) -> None:
    _scanned(stores, portfolio)
    with Session(stores.engine) as session:
        alerts = session.exec(select(Alert)).all()
    loans_of: dict[str, set[str]] = {}
    for batch in stores.graph.iter_edges([RelType.BORROWS]):
        for _, party, loan, _, _ in batch:
            loans_of.setdefault(party, set()).add(loan)

    def expected(party: str, status: str | None = None) -> list[Alert]:
        mine = [a for a in alerts if (a.subject_kind == "party" and a.subject_id == party)
                or (a.subject_kind == "loan" and a.subject_id in loans_of.get(party, ()))]
        mine = [a for a in mine if status is None or a.status == status]
        return sorted(mine, key=lambda a: (a.raised_at, a.id), reverse=True)

    # The party with the most alerts, on itself and on its loans together.
    party = max(loans_of, key=lambda p: (len(expected(p)), p))
    want = expected(party)
    assert len(want) >= 2
    got = _query(stores, PARTY, {"id": party})["party"]["alerts"]
    assert [a["id"] for a in got] == [f"Alert:{a.id}" for a in want]
    for alert, record in zip(got, want, strict=True):
        assert (alert["rule"], alert["subjectKind"], alert["subjectId"], alert["signals"]) \
            == (record.rule_id, record.subject_kind, record.subject_id, record.signals)
        assert alert["evidencePath"] == [
            {"type": e["type"], "source": e["source"], "target": e["target"],
             "key": e.get("key", "")} for e in record.evidence.get("edges", [])]
    assert _query(stores, PARTY, {"id": party, "status": "resolved"})["party"]["alerts"] == []
    result = _run(stores, PARTY, {"id": party, "status": "closed"})
    assert _codes(result) == ["BAD_USER_INPUT"]
    assert "status must be one of" in result.errors[0].message


def test_a_page_of_parties_with_their_risk_view_costs_a_constant_number_of_round_trips(
        stores: Stores, portfolio: tuple[Path, dict]) -> None:
    _scanned(stores, portfolio)

    def statements(first: int) -> tuple[list[str], list[dict]]:
        seen: list[str] = []

        def note(*args: object) -> None:
            seen.append(str(args[2]))

        event.listen(stores.engine, "before_cursor_execute", note)
        try:
            data = _query(stores, PAGE, {"first": first})
        finally:
            event.remove(stores.engine, "before_cursor_execute", note)
        return seen, [edge["node"] for edge in data["searchParties"]["edges"]]

    few, small = statements(3)
    many, large = statements(60)
    assert len(small) == 3 and len(large) == 60
    # No statement (of the records, or of the embedded graph) is repeated per party: one
    # search, the latest-run pointer, the findings, the ring identifiers' nodes, the loans
    # borrowed (for the alerts) and the alerts; 3 parties cost no fewer kinds of statement.
    shapes = [re.sub(r"\((\?|%\(\w+\)s|\$\d+)(, *(\?|%\(\w+\)s|\$\d+))*\)", "(...)", s)
              for s in many]
    assert len(shapes) == len(set(shapes)), many
    assert len(few) <= len(many) <= 7
    assert sum("scan_finding_member" in s for s in many) == 1
    assert sum("FROM alert" in s for s in many) == 1
    ids = [p["id"] for p in large]
    assert {p["id"] for p in large if p["circles"] or p["group"] or p["rings"]} == set(
        findings_by_party(stores.engine, ids))
    assert any(p["alerts"] for p in large)


def test_a_page_of_parties_with_their_risk_view_costs_the_same_graph_calls(
        blank_store: Counting, sqlite_engine: Engine, portfolio: tuple[Path, dict]) -> None:
    """Counted on the graph store itself, so on Neo4j too: one search, one ``get_nodes``
    (the rings' identifiers), one ``edges_of`` (the loans, for the alerts), for 3 parties
    as for 60."""
    import_files([portfolio[0]], blank_store, sqlite_engine)
    run_scan(sqlite_engine, blank_store, AS_OF, rules=load_rules(DEFAULT_RULES_FILE),
             version="test")
    counted = Stores(sqlite_engine, blank_store)
    calls = {}
    for first in (3, 60):
        blank_store.calls.clear()
        data = _query(counted, PAGE, {"first": first})
        assert len(data["searchParties"]["edges"]) == first
        calls[first] = dict(blank_store.calls)
    assert calls[60] == {"search_parties": 1, "get_nodes": 1, "edges_of": 1}
    assert set(calls[3]) <= set(calls[60]) and all(n == 1 for n in calls[3].values())
