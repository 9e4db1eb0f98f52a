"""The latest scan's results through GraphQL: a loan's assessment (tier, stage, ECL,
reasons, review flags with their paths) and a party's findings, batched per request, on
every backend; null and empty before any scan."""

from __future__ import annotations

import asyncio
from datetime import date
from pathlib import Path

import orjson
import pytest
from sqlalchemy import event

from graph.model import Label, Node, RelType
from risk.alerts.lifecycle import list_alerts
from risk.rules.loader import DEFAULT_RULES_FILE, load_rules
from risk.scan import run_scan
from risk.scan_results import findings_by_party, loan_results
from schema import build_context, build_schema
from seeds.config import PortfolioConfig
from seeds.generate import generate_portfolio
from tests.ingest.importing import import_files
from tests.portfolio.databases import postgres_engine, sqlite_engine
from tests.risk.rules.stores import Stores, stores

__all__ = ["postgres_engine", "sqlite_engine", "stores"]

AS_OF = date(2025, 6, 30)
PAGE = """
query($text: String!, $first: Int!) {
  searchParties(text: $text, first: $first) { edges { node { id findings { scanRun kind }
    loans { id assessment { scanRun tier stage daysPastDue exposure { amount currency }
      ecl { amount currency } reasons { rule tier } reviewFlags { kind party nplLoan
      path { type source target key } } } } } } }
}
"""
PARTY = """
query($id: ID!) {
  party(id: $id) { findings { kind members }
    loans { id assessment { tier stage daysPastDue exposure { amount currency }
      ecl { amount currency } reasons { rule } reviewFlags { kind party path { type } } } } }
}
"""


@pytest.fixture(scope="module")
def portfolio(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("risk-results") / "portfolio"
    generate_portfolio(PortfolioConfig(borrowers=300, seed=3), out)
    return out, orjson.loads((out / "ground_truth" / "ground_truth.json").read_bytes())


def _query(stores: Stores, document: str, variables: dict[str, object]) -> dict:
    result = asyncio.run(build_schema(mask_errors=False).execute(
        document, variable_values=variables,
        context_value=build_context(stores.graph, records=stores.engine)))
    assert result.errors is None, result.errors
    assert result.data is not None
    return result.data


def test_before_any_scan_the_risk_fields_are_null_and_empty(
        stores: Stores, portfolio: tuple[Path, dict]) -> None:
    out, truth = portfolio
    import_files([out], stores.graph, stores.engine)
    party = truth["mutual_pairs"][0][0]
    data = _query(stores, PARTY, {"id": party})["party"]
    assert data["findings"] == []
    assert data["loans"] and all(loan["assessment"] is None for loan in data["loans"])


def test_a_party_and_its_loans_read_the_latest_scan(stores: Stores,
                                                    portfolio: tuple[Path, dict]) -> None:
    out, truth = portfolio
    import_files([out], stores.graph, stores.engine)
    run_scan(stores.engine, stores.graph, AS_OF, rules=load_rules(DEFAULT_RULES_FILE),
             version="test")
    scanned = {r.borrower_id for r in loan_results(
        stores.engine, [n.id for n in _loan_nodes(stores)]).values()}
    # A party of a planted mutual pair that has a loan the scan covered (a live loan).
    party, pair = next((p, pair) for pair in truth["mutual_pairs"] for p in pair
                       if p in scanned)
    data = _query(stores, PARTY, {"id": party})["party"]
    assert {"kind": "mutual", "members": sorted(pair)} in data["findings"]
    stored = loan_results(stores.engine, [loan["id"] for loan in data["loans"]])
    assert stored
    for loan in data["loans"]:
        expected = stored.get(loan["id"])
        got = loan["assessment"]
        if expected is None:  # closed before the as-of date: not in the scan
            assert got is None
            continue
        assert (got["tier"], got["stage"], got["daysPastDue"]) == (
            expected.tier, expected.stage, expected.dpd)
        assert got["exposure"] == {"amount": str(expected.exposure),
                                   "currency": expected.currency}
        assert got["ecl"] == {"amount": str(expected.ecl), "currency": expected.currency}
        assert [r["rule"] for r in got["reasons"]] == [r["rule"] for r in expected.reasons]
        assert [(f["kind"], f["party"]) for f in got["reviewFlags"]] == [
            (f["kind"], f["party"]) for f in expected.review_flags]


def test_a_flagged_loan_carries_its_path(stores: Stores, portfolio: tuple[Path, dict]) -> None:
    out, _ = portfolio
    import_files([out], stores.graph, stores.engine)
    run_scan(stores.engine, stores.graph, AS_OF, rules=load_rules(DEFAULT_RULES_FILE),
             version="test")
    borrowers = {r.borrower_id: r for r in loan_results(
        stores.engine, [n.id for n in _loan_nodes(stores)]).values() if r.review_flags}
    if not borrowers:
        pytest.fail("the generated portfolio should hold a flagged loan")
    borrower, result = sorted(borrowers.items())[0]
    data = _query(stores, PARTY, {"id": borrower})["party"]
    [loan] = [loan for loan in data["loans"] if loan["id"] == result.loan_id]
    flag = loan["assessment"]["reviewFlags"][0]
    assert flag["path"] and all(edge["type"] for edge in flag["path"])


def _loan_nodes(stores: Stores) -> list[Node]:
    loans = [target for batch in stores.graph.iter_edges([RelType.BORROWS])
             for _, _, target, _, _ in batch]
    return [n for n in stores.graph.get_nodes(sorted(set(loans)))
            if n is not None and n.label is Label.LOAN]


def test_a_page_of_parties_costs_one_query_per_kind_of_result(
        stores: Stores, portfolio: tuple[Path, dict]) -> None:
    out, _ = portfolio
    import_files([out], stores.graph, stores.engine)
    run_scan(stores.engine, stores.graph, AS_OF, rules=load_rules(DEFAULT_RULES_FILE),
             version="test")
    statements: list[str] = []

    def note(*args: object) -> None:
        statements.append(str(args[2]))

    event.listen(stores.engine, "before_cursor_execute", note)
    try:
        data = _query(stores, PAGE, {"text": "C", "first": 20})
    finally:
        event.remove(stores.engine, "before_cursor_execute", note)
    parties = [edge["node"] for edge in data["searchParties"]["edges"]]
    assert len(parties) == 20
    # One query for the findings of the 20 parties, one for the results of all their loans
    # (each behind the query that finds the latest run).
    assert sum("scan_finding_member" in s for s in statements) == 1
    assert sum("FROM scan_loan_result" in s for s in statements) == 1
    ids = [p["id"] for p in parties]
    assert findings_by_party(stores.engine, ids).keys() == {
        p["id"] for p in parties if p["findings"]}


ALERTS = """
query($status: String, $first: Int!, $after: String) {
  alerts(status: $status, first: $first, after: $after) {
    edges { cursor node { id rule severity subjectKind subjectId status asOf signals
      evidenceNodes { id label } evidencePath { type source target key } } }
    pageInfo { hasNextPage endCursor }
  }
}
"""


def test_alerts_page_newest_first_with_their_evidence_path(
        stores: Stores, portfolio: tuple[Path, dict]) -> None:
    out, _ = portfolio
    import_files([out], stores.graph, stores.engine)
    assert _query(stores, ALERTS, {"first": 5})["alerts"]["edges"] == []
    run_scan(stores.engine, stores.graph, AS_OF, rules=load_rules(DEFAULT_RULES_FILE),
             version="test")
    stored = list_alerts(stores.engine, limit=10_000)
    first = _query(stores, ALERTS, {"first": 3})["alerts"]
    second = _query(stores, ALERTS, {"first": 3,
                                     "after": first["pageInfo"]["endCursor"]})["alerts"]
    shown = [edge["node"] for edge in first["edges"] + second["edges"]]
    assert [a["id"] for a in shown] == [f"Alert:{a.id}" for a in stored[:6]]
    assert first["pageInfo"]["hasNextPage"] is True
    for alert, record in zip(shown, stored, strict=False):
        assert (alert["rule"], alert["subjectId"], alert["signals"]) == (
            record.rule_id, record.subject_id, record.signals)
        assert alert["evidencePath"] == [
            {"type": e["type"], "source": e["source"], "target": e["target"],
             "key": e.get("key", "")} for e in record.evidence.get("edges", [])]
    with_path = [a for a in shown if a["evidencePath"]]
    assert with_path, "a page of scan alerts should hold one with a graph path"


def test_the_alert_status_filter_and_a_bad_status(stores: Stores,
                                                  portfolio: tuple[Path, dict]) -> None:
    out, _ = portfolio
    import_files([out], stores.graph, stores.engine)
    run_scan(stores.engine, stores.graph, AS_OF, rules=load_rules(DEFAULT_RULES_FILE),
             version="test")
    assert _query(stores, ALERTS, {"status": "resolved", "first": 5})["alerts"]["edges"] == []
    opened = _query(stores, ALERTS, {"status": "open", "first": 5})["alerts"]["edges"]
    assert opened and all(edge["node"]["status"] == "open" for edge in opened)
    result = asyncio.run(build_schema(mask_errors=False).execute(
        ALERTS, variable_values={"status": "closed", "first": 5},
        context_value=build_context(stores.graph, records=stores.engine)))
    assert result.errors is not None
    assert result.errors[0].extensions["code"] == "BAD_USER_INPUT"  # type: ignore[index]
    assert "status must be one of" in result.errors[0].message
