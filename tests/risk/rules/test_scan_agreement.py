"""The scan and a standalone run (``loanwatch alerts run``) give the same alerts for the same
data and date: one implementation, fed by the scan with what its earlier phases read and
reading the graph itself when run alone. On a generated portfolio, on every backend."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine

from graph.store import GraphStore
from risk.alerts.lifecycle import AlertDraft
from risk.classification.history import RepaymentHistory
from risk.rules.evaluate import evaluate
from risk.rules.loader import DEFAULT_RULES_FILE, RuleSet, load_rules, parse_rules
from risk.rules.schema import Rule
from risk.scan import DEFAULT_PHASES, ScanContext, ScanSettings
from seeds.config import PortfolioConfig
from seeds.generate import generate_portfolio
from tests.ingest.importing import import_files
from tests.risk.rules.stores import Stores

AS_OF = date(2025, 6, 30)

#: Lower concentration limits than the defaults, so that groups and circles of a small
#: portfolio are alerted too.
NETWORK_RULES = """\
rules:
  - {id: group-2, signal: concentration, severity: medium, description: d, scope: group,
     max_share: 0.002}
  - {id: circle-2, signal: concentration, severity: medium, description: d, scope: circle,
     max_share: 0.0005}
  - {id: related-3, signal: related_default, severity: high, description: d, hops: 3,
     via: [GUARANTEES, BORROWS, OWNS, CONTROLS, RELATED]}
"""


@pytest.fixture(scope="module")
def portfolio(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("agreement") / "portfolio"
    generate_portfolio(PortfolioConfig(borrowers=400, seed=11), out)
    return out


def _rules() -> tuple[Rule, ...]:
    return (*load_rules(DEFAULT_RULES_FILE).rules,
            *parse_rules(NETWORK_RULES, "network.yaml").rules)


def _scanned(engine: Engine, graph: GraphStore, rules: tuple[Rule, ...]) -> list[AlertDraft]:
    """The drafts of the scan's rules phase, after every phase before it (but the features
    phase, which stores rows under a run this test does not make; no rule reads them)."""
    ctx = ScanContext(engine=engine, graph=graph, as_of=AS_OF, settings=ScanSettings(),
                      rules=RuleSet(file="test.yaml", rules=rules, lines={}))
    for phase in DEFAULT_PHASES:
        if phase.name != "features":
            phase.run(ctx)
    return ctx.drafts


def _key(draft: AlertDraft) -> tuple:
    return (draft.rule_id, draft.subject_kind, draft.subject_id, draft.severity,
            repr(draft.signals), repr(draft.evidence))


def test_the_scan_and_a_standalone_run_raise_the_same_alerts(
        stores: Stores, portfolio: Path) -> None:
    import_files([portfolio], stores.graph, stores.engine)
    rules = _rules()
    scanned = _scanned(stores.engine, stores.graph, rules)
    alone = evaluate(rules, as_of=AS_OF, graph=stores.graph, engine=stores.engine,
                     delinquency=RepaymentHistory(stores.engine)).drafts
    assert sorted(map(_key, scanned)) == sorted(map(_key, alone))
    raised = {draft.rule_id for draft in scanned}
    # The portfolio is big enough for every kind of signal the comparison must cover.
    assert {"dpd-30", "missed-2-in-6", "related-default-2", "related-3",
            "guarantor-overextended", "group-2", "circle-2"} <= raised
