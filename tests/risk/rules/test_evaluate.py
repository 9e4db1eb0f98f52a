"""Each implemented signal on the hand portfolio, on every graph backend: who is alerted, with
which figures and which evidence path; nothing dated after the as-of date is read; rules that
cannot run are reported."""

from __future__ import annotations

from typing import Any

import pytest

from graph.model import Edge, Label, Node, RelType
from risk.alerts.lifecycle import AlertDraft
from risk.flow.local_graph import local_graph
from risk.flow.scope import scope_of
from risk.rules.evaluate import NO_DELINQUENCY, NO_PD_MODEL, evaluate
from risk.rules.loader import DEFAULT_RULES_FILE, load_rules, parse_rules
from risk.rules.schema import Concentration, Rule
from tests.risk.rules.hand_data import (
    AS_OF,
    add_later_data,
    build_portfolio,
    hand_delinquency,
)
from tests.risk.rules.stores import Stores

RULES = """\
rules:
  - {id: bureau, signal: bureau_score_drop, severity: medium, description: d,
     points: 80, within_days: 180}
  - {id: court, signal: external_event, severity: high, description: d,
     kinds: [court_case], min_severity: 3, within_days: 90}
  - {id: news, signal: external_event, severity: low, description: d,
     kinds: [news], within_days: 30}
  - {id: inflow, signal: inflow_drop, severity: medium, description: d,
     drop_fraction: 0.5, trailing_months: 3}
  - {id: guarantor, signal: guarantor_overextended, severity: high, description: d,
     max_share: 1.0, income_multiple: 36}
  - {id: sector, signal: concentration, severity: medium, description: d,
     scope: sector, max_share: 0.5}
  - {id: dpd, signal: days_past_due, severity: high, description: d, min_days: 30}
  - {id: missed, signal: missed_installments, severity: medium, description: d,
     count: 1, within_months: 6}
  - {id: related, signal: related_default, severity: high, description: d,
     hops: 2, via: [GUARANTEES, BORROWS, OWNS]}
  - {id: pd, signal: pd_threshold, severity: high, description: d, threshold: 0.2}
  - {id: pd-up, signal: pd_rise, severity: high, description: d, points: 0.05,
     within_days: 30}
  - {id: circles, signal: concentration, severity: low, description: d, scope: circle,
     max_share: 0.1}
  - {id: disabled, signal: days_past_due, severity: low, description: d, min_days: 1,
     enabled: false}
"""


def _rules() -> tuple[Rule, ...]:
    return parse_rules(RULES, "test.yaml").rules


def _by_rule(drafts: list[AlertDraft]) -> dict[str, dict[str, AlertDraft]]:
    found: dict[str, dict[str, AlertDraft]] = {}
    for draft in drafts:
        found.setdefault(draft.rule_id, {})[draft.subject_id] = draft
    return found


def _edges(draft: AlertDraft) -> list[tuple[str, str, str, str]]:
    return [(e["source"], e["type"], e["target"], e["key"]) for e in draft.evidence["edges"]]


@pytest.fixture
def found(stores: Stores) -> dict[str, dict[str, AlertDraft]]:
    build_portfolio(stores)
    result = evaluate(_rules(), as_of=AS_OF, graph=stores.graph, engine=stores.engine,
                      delinquency=hand_delinquency())
    return _by_rule(result.drafts)


def test_bureau_score_drop(found: dict[str, dict[str, AlertDraft]]) -> None:
    [alert] = found["bureau"].values()
    assert (alert.subject_kind, alert.subject_id, alert.severity) == ("party", "P1", "medium")
    assert alert.signals == [{"signal": "bureau_score_drop", "score_from": 700,
                              "on_from": "2025-01-01", "score_to": 600, "on_to": "2025-03-01",
                              "drop": 100, "points": 80, "within_days": 180}]
    assert alert.evidence == {"nodes": [{"id": "P1", "label": "Person"}], "edges": []}


def test_external_event(found: dict[str, dict[str, AlertDraft]]) -> None:
    [alert] = found["court"].values()
    assert alert.subject_id == "C1"
    assert [(s["event_id"], s["kind"], s["severity"]) for s in alert.signals] == \
        [("E1", "court_case", 4)]
    assert _edges(alert) == [("C1", "MENTIONED_IN", "E1", "")]
    assert {n["id"]: n["label"] for n in alert.evidence["nodes"]} == \
        {"C1": "Company", "E1": "ExternalEvent"}
    assert "news" not in found  # E2 is older than 30 days


def test_inflow_drop_leaves_out_the_partys_own_transfers(
        found: dict[str, dict[str, AlertDraft]]) -> None:
    [alert] = found["inflow"].values()
    assert alert.subject_id == "C1"
    [signal] = alert.signals
    assert (signal["currency"], signal["month"], signal["inflow_minor"]) == ("CNY", "2025-03",
                                                                            30_000)
    assert signal["trailing_months"] == ["2024-12", "2025-01", "2025-02"]
    assert (signal["trailing_average_minor"], signal["drop"]) == ("100000.00", "0.7000")
    assert _edges(alert) == [
        ("C1", "HOLDS", "A1", ""), ("C1", "HOLDS", "A3", ""),
        ("A2", "TRANSFERS", "A1", "2024-12"), ("A2", "TRANSFERS", "A1", "2025-01"),
        ("A2", "TRANSFERS", "A1", "2025-02"), ("A2", "TRANSFERS", "A1", "2025-03")]


def test_guarantor_overextended_compares_the_capacitys_currency_only(
        found: dict[str, dict[str, AlertDraft]]) -> None:
    assert set(found["guarantor"]) == {"P1"}  # C1's 300 CNY against 1,000,000 CNY is fine
    [signal] = found["guarantor"]["P1"].signals
    assert signal["currency"] == "CNY"
    assert (signal["guaranteed_minor"], signal["capacity_minor"], signal["share"]) == \
        (40_000_000, "36000000", "1.1111")
    assert signal["capacity_basis"] == "monthly_income x 36"
    assert signal["not_compared"] == {"USD": 5_000_000}
    assert _edges(found["guarantor"]["P1"]) == [("P1", "GUARANTEES", "L1", ""),
                                                ("P1", "GUARANTEES", "L5", "")]


def test_sector_concentration(found: dict[str, dict[str, AlertDraft]]) -> None:
    # Each currency on its own: C13 has 60% of CNY, F all of the USD (L5).
    assert set(found["sector"]) == {"sector:C13", "sector:F"}
    assert [(s["currency"], s["share"]) for s in found["sector"]["sector:F"].signals] == \
        [("USD", "1.0000")]
    alert = found["sector"]["sector:C13"]
    assert alert.subject_kind == "segment"
    assert alert.signals == [{"signal": "concentration", "scope": "sector", "sector": "C13",
                              "currency": "CNY", "exposure_minor": 60_000,
                              "portfolio_minor": 100_000, "share": "0.6000",
                              "max_share": 0.5}]
    assert _edges(alert) == [("C1", "BORROWS", "L1", "")]


def test_delinquency_signals_come_from_the_source_given(
        found: dict[str, dict[str, AlertDraft]]) -> None:
    assert set(found["dpd"]) == {"L2"}
    assert found["dpd"]["L2"].signals[0]["days_past_due"] == 120
    assert found["dpd"]["L2"].subject_kind == "loan"
    assert _edges(found["dpd"]["L2"]) == [("C2", "BORROWS", "L2", "")]
    assert {loan: d.signals[0]["missed"] for loan, d in found["missed"].items()} == \
        {"L1": 1, "L2": 4}


def test_related_default_carries_the_path_to_the_defaulted_party(
        found: dict[str, dict[str, AlertDraft]]) -> None:
    related = found["related"]
    # P1 guarantees C2's L5: two steps; loans are not parties and are never alerted.
    assert set(related) == {"C1", "P1", "P2"}
    assert related["P2"].signals[0] | {"via": None} == {
        "signal": "related_default", "defaulted_party": "C2", "hops": 1, "max_hops": 2,
        "via": None}
    assert _edges(related["P2"]) == [("P2", "OWNS", "C2", "")]
    assert related["C1"].signals[0]["via"] == ["BORROWS", "GUARANTEES"]
    assert _edges(related["C1"]) == [("C2", "BORROWS", "L2", ""), ("C1", "GUARANTEES", "L2", "")]


def test_rules_that_cannot_run_are_reported_never_silently_dropped(stores: Stores) -> None:
    build_portfolio(stores)
    result = evaluate(_rules(), as_of=AS_OF, graph=stores.graph, engine=stores.engine)
    skipped = {s.rule_id: s.reason for s in result.skipped}
    assert skipped == {"pd": NO_PD_MODEL, "pd-up": NO_PD_MODEL,
                       "disabled": "disabled in the rules file", "dpd": NO_DELINQUENCY,
                       "missed": NO_DELINQUENCY, "related": NO_DELINQUENCY}
    assert "no production PD model was promoted" in NO_PD_MODEL
    assert set(result.evaluated) == {"bureau", "court", "news", "inflow", "guarantor", "sector",
                                     "circles"}


def test_nothing_dated_after_the_as_of_date_changes_the_result(stores: Stores) -> None:
    build_portfolio(stores)
    source = hand_delinquency()

    def snapshot() -> list[tuple[str, str, Any, Any]]:
        drafts = evaluate(_rules(), as_of=AS_OF, graph=stores.graph, engine=stores.engine,
                          delinquency=source).drafts
        return sorted((d.rule_id, d.subject_id, d.signals, d.evidence) for d in drafts)

    before = snapshot()
    add_later_data(stores)
    assert snapshot() == before
    later = evaluate(_rules(), as_of=AS_OF.replace(month=4, day=30), graph=stores.graph,
                     engine=stores.engine, delinquency=source).drafts
    assert sorted((d.rule_id, d.subject_id) for d in later) != \
        sorted((rule, subject) for rule, subject, _, _ in before)


def test_the_default_rules_run_on_the_hand_portfolio(stores: Stores) -> None:
    build_portfolio(stores)
    rules = load_rules(DEFAULT_RULES_FILE)
    result = evaluate(rules.rules, as_of=AS_OF, graph=stores.graph, engine=stores.engine,
                      delinquency=hand_delinquency())
    raised = {(d.rule_id, d.subject_id) for d in result.drafts}
    assert {("court-case", "C1"), ("bureau-drop-80", "P1"), ("inflow-drop-50", "C1"),
            ("guarantor-overextended", "P1"), ("sector-concentration", "sector:C13"),
            ("dpd-90", "L2")} <= raised
    assert {s.rule_id for s in result.skipped} == {"pd-high", "pd-rising"}


class _Defaulted:
    """A delinquency source in which only ``parties`` are in default."""

    def __init__(self, *parties: str) -> None:
        self.parties = parties

    def days_past_due(self, as_of: Any) -> dict[str, int]:
        return {}

    def missed_installments(self, as_of: Any, since: Any) -> dict[str, int]:
        return {}

    def defaulted_parties(self, as_of: Any) -> list[str]:
        return list(self.parties)


def test_equal_paths_to_a_default_are_chosen_by_id_not_by_storage_order(stores: Stores) -> None:
    # X owns M1 and M2, both of which own D: two paths of two hops. Written M2 first, so that
    # an answer following storage or insertion order would take M2.
    stores.graph.upsert_batch(
        [Node(i, Label.PERSON if i == "X" else Label.COMPANY, {"name": i})
         for i in ("X", "M2", "M1", "D")],
        [Edge(RelType.OWNS, "M2", "D", props={"pct": 0.3}),
         Edge(RelType.OWNS, "X", "M2", props={"pct": 0.6}),
         Edge(RelType.OWNS, "M1", "D", props={"pct": 0.3}),
         Edge(RelType.OWNS, "X", "M1", props={"pct": 0.6})])
    rules = parse_rules(
        "rules:\n  - {id: related, signal: related_default, severity: high, description: d,\n"
        "     hops: 2, via: [OWNS]}\n", "test.yaml").rules
    result = evaluate(rules, as_of=AS_OF, graph=stores.graph, engine=stores.engine,
                      delinquency=_Defaulted("D"))
    found = _by_rule(result.drafts)["related"]
    assert _edges(found["X"]) == [("M1", "OWNS", "D", ""), ("X", "OWNS", "M1", "")]


def test_the_flows_part_of_the_graph_raises_the_books_alerts_around_each_party(
        stores: Stores) -> None:
    """On every backend, the rules read on the part of the graph an event's flow copies
    (:mod:`risk.flow.local_graph`) raise the whole graph's alerts in the event's scope."""
    build_portfolio(stores)
    rules = [rule for rule in load_rules(DEFAULT_RULES_FILE).rules
             if not isinstance(rule, Concentration)]
    whole = evaluate(rules, as_of=AS_OF, graph=stores.graph, engine=stores.engine,
                     delinquency=hand_delinquency())
    parties = sorted({d.subject_id for d in whole.drafts if d.subject_kind == "party"})
    compared: set[str] = set()
    for centre in parties:
        scope = scope_of(stores.graph, parties=(centre,), hops=2)
        with local_graph(stores.graph, scope, rules=rules, flow_hops=2) as local:
            assert local is not None
            found = evaluate(rules, as_of=AS_OF, graph=local, engine=stores.engine,
                             delinquency=hand_delinquency())
        expected = {d.key: (d.signals, d.evidence) for d in whole.drafts
                    if scope.covers(d.subject_kind, d.subject_id)}
        assert {d.key: (d.signals, d.evidence) for d in found.drafts
                if scope.covers(d.subject_kind, d.subject_id)} == expected, centre
        compared.update(d.rule_id for d in whole.drafts if d.key in expected)
    assert {"court-case", "bureau-drop-80", "inflow-drop-50", "guarantor-overextended",
            "dpd-90"} <= compared


def test_the_bureau_snapshots_of_the_parties_named_only(stores: Stores) -> None:
    build_portfolio(stores)
    rules = [rule for rule in load_rules(DEFAULT_RULES_FILE).rules if rule.id == "bureau-drop-80"]

    def dropped(parties: set[str] | None) -> set[str]:
        found = evaluate(rules, as_of=AS_OF, graph=stores.graph, engine=stores.engine,
                         parties=parties)
        return {d.subject_id for d in found.drafts}

    assert "P1" in dropped(None)
    assert dropped({"P1", "C1"}) == {"P1"}
    assert dropped({"C1"}) == set()
