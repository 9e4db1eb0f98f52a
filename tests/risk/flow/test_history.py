"""The flow reads less than the whole book and raises what the whole book raises: on a
generated portfolio, around borrowers in default, their guarantors and others, the rules
read with the neighbourhood's repayment history, and then also on the neighbourhood's part
of the graph alone (:mod:`risk.flow.local_graph`), raise exactly the whole book's alerts
(signals and evidence paths) for the parties and loans of the scope."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

import pytest
from sqlalchemy import Engine

from graph.model import RelType
from graph.stores.embedded import EmbeddedGraphStore
from loanwatch.migrations import migrate
from portfolio.database import create_sql_engine
from risk.classification.history import RepaymentHistory
from risk.flow.history import neighbourhood_history
from risk.flow.local_graph import local_graph, node_count
from risk.flow.scope import Scope, scope_of
from risk.rules.evaluate import Evaluation, evaluate
from risk.rules.loader import DEFAULT_RULES_FILE, load_rules
from risk.rules.schema import Concentration
from seeds.config import PortfolioConfig
from seeds.generate import generate_portfolio
from seeds.ground_truth import GROUND_TRUTH_DIR
from tests.ingest.importing import import_files

RULES = [rule for rule in load_rules(DEFAULT_RULES_FILE).rules
         if not isinstance(rule, Concentration)]
HOPS = 2


@dataclass(frozen=True)
class Book:
    engine: Engine
    graph: EmbeddedGraphStore
    as_of: date
    whole: RepaymentHistory
    everything: Evaluation
    centres: list[str]


@pytest.fixture(scope="module")
def book(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Book]:
    """A generated book with the whole book's alerts, and the parties to centre events on:
    borrowers in default, their guarantors, parties the rules alert."""
    folder = tmp_path_factory.mktemp("book")
    portfolio = folder / "portfolio"
    generate_portfolio(PortfolioConfig(borrowers=400, seed=11), portfolio)
    engine = create_sql_engine(f"sqlite:///{folder / 'lw.db'}")
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
    # Two parties alerted by each rule the book raises (a loan's alert: its borrower).
    by_rule: dict[str, list[str]] = {}
    for draft in sorted(everything.drafts, key=lambda d: d.key):
        party = draft.subject_id if draft.subject_kind == "party" else next(
            e.source for edges in graph.edges_of([draft.subject_id], [RelType.BORROWS], "in")
            for e in edges)
        by_rule.setdefault(draft.rule_id, []).append(party)
    others = [party for parties in by_rule.values() for party in parties[:2]]
    yield Book(engine, graph, as_of, whole, everything,
               list(dict.fromkeys([*defaulted, *guarantors, *others])))
    engine.dispose()


def _in_scope(found: Evaluation, scope: Scope) -> dict[str, tuple[str, object]]:
    return {d.key: (d.rule_id, (d.signals, d.evidence)) for d in found.drafts
            if scope.covers(d.subject_kind, d.subject_id)}


def test_the_neighbourhoods_history_raises_the_whole_books_alerts(book: Book) -> None:
    compared = 0
    for centre in book.centres:
        scope = scope_of(book.graph, parties=(centre,), hops=HOPS)
        history = neighbourhood_history(book.engine, book.graph, scope, rules=RULES,
                                        hops=HOPS, as_of=book.as_of)
        assert len(history.days_past_due(book.as_of)) <= len(
            book.whole.days_past_due(book.as_of))
        found = evaluate(RULES, as_of=book.as_of, graph=book.graph, engine=book.engine,
                         delinquency=history)
        expected = _in_scope(book.everything, scope)
        assert _in_scope(found, scope) == expected, centre
        compared += len(expected)
    assert compared > 20


def test_the_neighbourhoods_part_of_the_graph_raises_the_whole_books_alerts(
        book: Book) -> None:
    compared, signals, smaller = 0, set(), 0
    whole_nodes = node_count(book.graph)
    for centre in book.centres:
        scope = scope_of(book.graph, parties=(centre,), hops=HOPS)
        history = neighbourhood_history(book.engine, book.graph, scope, rules=RULES,
                                        hops=HOPS, as_of=book.as_of)
        with local_graph(book.graph, scope, rules=RULES, flow_hops=HOPS) as local:
            assert local is not None, centre  # a book this size is never too large
            smaller += node_count(local) < whole_nodes / 2
            found = evaluate(RULES, as_of=book.as_of, graph=local, engine=book.engine,
                             delinquency=history)
        expected = _in_scope(book.everything, scope)
        assert _in_scope(found, scope) == expected, centre
        compared += len(expected)
        signals.update(rule for rule, _ in expected.values())
    assert compared > 20 and smaller >= len(book.centres) // 2
    # Every rule the whole book raises is compared, those reading beyond the scope too.
    assert signals == {draft.rule_id for draft in book.everything.drafts}


def test_too_large_a_neighbourhood_is_read_whole(book: Book) -> None:
    scope = scope_of(book.graph, parties=(book.centres[0],), hops=HOPS)
    with local_graph(book.graph, scope, rules=RULES, flow_hops=HOPS, max_nodes=1) as local:
        assert local is None
    with local_graph(book.graph, scope, rules=RULES, flow_hops=5) as local:
        assert local is None  # deeper than a neighbourhood read goes
