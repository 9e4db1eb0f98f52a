"""Concentration in a corporate group and in a guarantee circle, on a hand-built graph, on
every graph backend: which group and which circle are alerted, with which figures and which
evidence path; loans not live on the as-of date do not count."""

from __future__ import annotations

from datetime import date

import pytest

from graph.model import Edge, Label, Node, RelType
from risk.alerts.lifecycle import AlertDraft
from risk.rules.evaluate import evaluate
from risk.rules.loader import parse_rules
from risk.rules.signals.concentration import circle_subject
from tests.risk.rules.stores import Stores

AS_OF = date(2025, 3, 31)

RULES = """\
rules:
  - {id: group, signal: concentration, severity: high, description: d, scope: group,
     max_share: 0.05}
  - {id: circle, signal: concentration, severity: medium, description: d, scope: circle,
     max_share: 0.01}
"""


def _loan(loan_id: str, principal: int, maturity: str = "2026-01-01") -> Node:
    return Node(loan_id, Label.LOAN, {
        "principal_minor": principal, "principal_currency": "CNY", "currency": "CNY",
        "disbursed_on": "2024-01-01", "maturity_on": maturity})


def _company(company_id: str) -> Node:
    return Node(company_id, Label.COMPANY, {"name": company_id})


def _guarantee(guarantor: str, loan: str, minor: int) -> Edge:
    return Edge(RelType.GUARANTEES, guarantor, loan,
                props={"amount_minor": minor, "amount_currency": "CNY"})


def build(stores: Stores) -> None:
    """Live CNY principal 1,000,000.00 in all:

    * group: person G owns 60% of A, A 60% of B; X (outside) guarantees A's loan LA.
      Live exposure LA 50,000 + LB 30,000 + X's own LX 20,000 = 100,000 (10%); B's old
      loan LB0 (1,000,000, matured before the as-of date) does not count.
    * circle: C1 guarantees C2's K2, C2 guarantees C3's K3, C3 guarantees C1's K1: 30,000
      (3%); a mutual guarantee M1 <-> M2 of 2,000 (0.2%); Q's LQ 868,000 is the rest.
    """
    nodes = [
        Node("G", Label.PERSON, {"name": "G"}), *(_company(c) for c in (
            "A", "B", "X", "C1", "C2", "C3", "M1", "M2", "Q")),
        _loan("LA", 5_000_000), _loan("LB", 3_000_000), _loan("LX", 2_000_000),
        _loan("LB0", 100_000_000, maturity="2024-12-31"),
        _loan("K1", 1_000_000), _loan("K2", 1_000_000), _loan("K3", 1_000_000),
        _loan("MM1", 100_000), _loan("MM2", 100_000), _loan("LQ", 86_800_000),
    ]
    borrows = [("A", "LA"), ("B", "LB"), ("B", "LB0"), ("X", "LX"), ("C1", "K1"),
               ("C2", "K2"), ("C3", "K3"), ("M1", "MM1"), ("M2", "MM2"), ("Q", "LQ")]
    edges = [
        *(Edge(RelType.BORROWS, party, loan) for party, loan in borrows),
        Edge(RelType.OWNS, "G", "A", props={"pct": 0.6}),
        Edge(RelType.OWNS, "A", "B", props={"pct": 0.6}),
        _guarantee("X", "LA", 5_000_000),
        _guarantee("C1", "K2", 1_000_000), _guarantee("C2", "K3", 1_000_000),
        _guarantee("C3", "K1", 1_000_000),
        _guarantee("M1", "MM2", 100_000), _guarantee("M2", "MM1", 100_000),
    ]
    stores.graph.upsert_batch(nodes, edges)


def _edges(draft: AlertDraft) -> list[tuple[str, str, str, dict]]:
    return [(e["source"], e["type"], e["target"],
             {k: v for k, v in e.items() if k not in ("source", "type", "target", "key")})
            for e in draft.evidence["edges"]]


@pytest.fixture
def found(stores: Stores) -> dict[str, list[AlertDraft]]:
    build(stores)
    result = evaluate(parse_rules(RULES, "test.yaml").rules, as_of=AS_OF, graph=stores.graph,
                      engine=stores.engine)
    assert result.skipped == []
    by_rule: dict[str, list[AlertDraft]] = {}
    for draft in result.drafts:
        by_rule.setdefault(draft.rule_id, []).append(draft)
    return by_rule


def test_a_group_holding_too_much_of_the_live_book_is_alerted_with_its_control_path(
        found: dict[str, list[AlertDraft]]) -> None:
    [alert] = found["group"]
    assert (alert.subject_kind, alert.subject_id, alert.severity) == ("segment", "group:G",
                                                                      "high")
    assert alert.signals == [{
        "signal": "concentration", "scope": "group", "group": "G", "companies": 2,
        "loans": 3, "currency": "CNY", "exposure_minor": 10_000_000,
        "portfolio_minor": 100_000_000, "share": "0.1000", "max_share": 0.05}]
    assert _edges(alert) == [
        ("A", "BORROWS", "LA", {"principal_minor": 5_000_000}),
        ("B", "BORROWS", "LB", {"principal_minor": 3_000_000}),
        ("X", "BORROWS", "LX", {"principal_minor": 2_000_000}),
        ("X", "GUARANTEES", "LA", {}),
        ("A", "OWNS", "B", {"pct": 0.6}), ("G", "OWNS", "A", {"pct": 0.6})]
    assert {n["id"]: n["label"] for n in alert.evidence["nodes"]} == {
        "G": "Person", "A": "Company", "B": "Company", "X": "Company", "LA": "Loan",
        "LB": "Loan", "LX": "Loan"}


def test_a_circle_above_the_share_is_alerted_and_a_small_mutual_guarantee_is_not(
        found: dict[str, list[AlertDraft]]) -> None:
    [alert] = found["circle"]
    assert alert.subject_id == circle_subject(["C3", "C1", "C2"])
    assert alert.subject_id.startswith("circle:C1:")
    assert alert.signals == [{
        "signal": "concentration", "scope": "circle", "kind": "circle", "members": 3,
        "loans": 3, "currency": "CNY", "exposure_minor": 3_000_000,
        "portfolio_minor": 100_000_000, "share": "0.0300", "max_share": 0.01}]
    assert [(s, t, d) for s, t, d, _ in _edges(alert)] == [
        ("C1", "BORROWS", "K1"), ("C2", "BORROWS", "K2"), ("C3", "BORROWS", "K3"),
        ("C1", "GUARANTEES", "K2"), ("C2", "GUARANTEES", "K3"), ("C3", "GUARANTEES", "K1")]


def test_a_lower_share_alerts_the_mutual_guarantee_too(stores: Stores) -> None:
    build(stores)
    rules = parse_rules(RULES.replace("max_share: 0.01", "max_share: 0.001"), "t.yaml").rules
    drafts = evaluate(rules, as_of=AS_OF, graph=stores.graph, engine=stores.engine).drafts
    circles = {d.subject_id: d.signals[0] for d in drafts if d.rule_id == "circle"}
    mutual = circles[circle_subject(["M1", "M2"])]
    assert (mutual["kind"], mutual["exposure_minor"], mutual["share"]) == ("mutual", 200_000,
                                                                         "0.0020")
    assert len(circles) == 2


def test_after_the_loans_mature_nothing_is_concentrated(stores: Stores) -> None:
    build(stores)
    drafts = evaluate(parse_rules(RULES, "test.yaml").rules, as_of=date(2026, 6, 30),
                      graph=stores.graph, engine=stores.engine).drafts
    assert drafts == []
