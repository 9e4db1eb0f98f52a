"""The demo's network signal: one event through the event flow, from signal to action.

After the scan, ``loanwatch demo`` records an external event (a court case) about a
borrower in default whose loan a guarantor backs, as the API's ``recordExternalEvent``
would, and runs its flow (:func:`risk.flow.run.run_flow`, what the ``event_flow`` job
runs): the guarantor's network alert opens a triggered review in the human queue and a
collection case that carries the alert's graph path. It prints where to see them, with a
GraphiQL link that opens the path. The event id is fixed per borrower, so a second demo
run records nothing new and opens nothing twice.
"""

from __future__ import annotations

from datetime import date
from typing import Final

from rich.console import Console
from sqlalchemy import Engine

from graph.model import RelType
from graph.store import GraphStore
from ingest.recording import record_row
from loanwatch.cli.graphiql_links import ALERT_QUERY, graphiql_link
from loanwatch.settings import Settings
from risk.classification.history import RepaymentHistory
from risk.flow.events import flow_event
from risk.flow.policy import FlowPolicy
from risk.flow.run import FlowResult, run_flow
from risk.rules.loader import DEFAULT_RULES_FILE, load_rules

__all__ = ["network_signal", "signal_subject"]

#: Defaulted borrowers looked at for one whose loan a guarantor backs.
_CANDIDATES: Final = 500
_SIGNAL_RULE: Final = "related-default-2"


def signal_subject(engine: Engine, graph: GraphStore, as_of: date) -> str | None:
    """A borrower in default on ``as_of`` whose loan is guaranteed by a party not in
    default (the first by id), or ``None``."""
    defaulted = list(RepaymentHistory(engine).defaulted_parties(as_of))[:_CANDIDATES]
    if not defaulted:
        return None
    shut = set(defaulted)
    for party, edges in zip(defaulted, graph.edges_of(defaulted, [RelType.BORROWS], "out"),
                            strict=True):
        loans = [e.target for e in edges]
        if loans and any(e.source not in shut for backers in graph.edges_of(
                loans, [RelType.GUARANTEES], "in") for e in backers):
            return party
    return None


def network_signal(engine: Engine, graph: GraphStore, as_of: date, settings: Settings,
                   console: Console) -> FlowResult | None:
    """Record the demo's court case and run its flow (see the module); what it did, or
    ``None`` when the portfolio holds no guaranteed borrower in default."""
    party = signal_subject(engine, graph, as_of)
    if party is None:
        console.print("network signal: no guaranteed borrower is in default on "
                      f"{as_of.isoformat()}; nothing to show", highlight=False)
        return None
    event_id = f"demo-court-case-{party}"
    recorded = record_row("events", event_id, {
        "id": f"EV-DEMO-{party}", "kind": "court_case", "occurred_on": as_of.isoformat(),
        "title": "A creditor sues the borrower (demo signal)", "party_ids": [party],
        "severity": 4, "source": "loanwatch demo"}, graph=graph, engine=engine, actor="demo")
    policy = FlowPolicy(hops=settings.flow_hops, review_severity=settings.flow_review_severity,
                        case_severity=settings.flow_case_severity,
                        case_rules=frozenset(rule.strip() for rule in
                                             settings.flow_case_rules.split(",") if rule.strip()))
    rules = load_rules(settings.flow_rules_file or DEFAULT_RULES_FILE)
    with console.status("network signal: re-scoring the neighbourhood"):
        result = run_flow(flow_event("events", event_id, recorded.values), engine=engine,
                          graph=graph, rules=rules, policy=policy)
    cased = [f for f in result.follow_ups if f.case_id is not None]
    chosen = next((f for f in cased if f.rule_id == _SIGNAL_RULE), cased[0] if cased else None)
    console.print(f"\n[bold]Network signal[/] (README, \"The event flow\"): a court case about "
                  f"{party}, in default, recorded as event {event_id}; its "
                  f"{len(result.scope.parties)} parties within {policy.hops} hops re-scored: "
                  f"{len(result.outcomes)} alerts found, {len(result.follow_ups)} follow-ups",
                  highlight=False)
    if chosen is None:
        return result
    console.print(f"  • alert {chosen.alert_id} ({chosen.rule_id}, {chosen.severity}) opened "
                  f"triggered review {chosen.review_id} (`loanwatch reviews queue`) and case "
                  f"{chosen.case_id} (`loanwatch collections show {chosen.case_id}`)",
                  highlight=False)
    console.print("  • its graph path in GraphiQL: " + graphiql_link(
        settings.host, settings.port, ALERT_QUERY, {"id": str(chosen.alert_id)}),
        highlight=False, soft_wrap=True)
    return result
