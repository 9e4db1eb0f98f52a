"""The neighbourhood's repayment history gives a scope the alerts the whole book gives it:
on a generated portfolio, around borrowers in default, their guarantors and others, the
rules read with the sub-book raise exactly the whole book's alerts (signals and evidence
paths) for the parties and loans of the scope."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from graph.model import RelType
from graph.stores.embedded import EmbeddedGraphStore
from loanwatch.migrations import migrate
from portfolio.database import create_sql_engine
from risk.classification.history import RepaymentHistory
from risk.flow.history import neighbourhood_history
from risk.flow.scope import scope_of
from risk.rules.evaluate import evaluate
from risk.rules.loader import DEFAULT_RULES_FILE, load_rules
from risk.rules.schema import Concentration
from seeds.config import PortfolioConfig
from seeds.generate import generate_portfolio
from seeds.ground_truth import GROUND_TRUTH_DIR
from tests.ingest.importing import import_files

RULES = [rule for rule in load_rules(DEFAULT_RULES_FILE).rules
         if not isinstance(rule, Concentration)]


def test_the_neighbourhoods_history_raises_the_whole_books_alerts(tmp_path: Path) -> None:
    portfolio = tmp_path / "portfolio"
    generate_portfolio(PortfolioConfig(borrowers=400, seed=11), portfolio)
    engine = create_sql_engine(f"sqlite:///{tmp_path / 'lw.db'}")
    migrate(engine)
    graph = EmbeddedGraphStore(engine)
    import_files([portfolio], graph, engine)
    as_of = date.fromisoformat(json.loads(
        (portfolio / GROUND_TRUTH_DIR / "ground_truth.json").read_text())["as_of"])
    whole = RepaymentHistory(engine)
    everything = evaluate(RULES, as_of=as_of, graph=graph, engine=engine, delinquency=whole)
    defaulted = sorted(whole.defaulted_parties(as_of))[:6]
    assert defaulted, "the generated portfolio holds no default to start from"
    loans = [e.target for edges in graph.edges_of(defaulted, [RelType.BORROWS], "out")
             for e in edges]
    guarantors = sorted({e.source for edges in graph.edges_of(loans, [RelType.GUARANTEES],
                                                                "in") for e in edges})[:6]
    others = sorted({d.subject_id for d in everything.drafts if d.subject_kind == "party"})[:6]
    compared = 0
    for centre in dict.fromkeys([*defaulted, *guarantors, *others]):
        scope = scope_of(graph, parties=(centre,), hops=2)
        history = neighbourhood_history(engine, graph, scope, rules=RULES, hops=2, as_of=as_of)
        assert len(history.days_past_due(as_of)) <= len(whole.days_past_due(as_of))
        found = evaluate(RULES, as_of=as_of, graph=graph, engine=engine, delinquency=history)
        expected = {d.key: (d.signals, d.evidence) for d in everything.drafts
                    if scope.covers(d.subject_kind, d.subject_id)}
        assert {d.key: (d.signals, d.evidence) for d in found.drafts
                if scope.covers(d.subject_kind, d.subject_id)} == expected, centre
        compared += len(expected)
    assert compared > 20
