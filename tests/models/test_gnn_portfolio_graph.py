"""The portfolio graph as of a date, on every graph backend: node types, typed relations,
nothing after the date, shared identifiers without public ones, transfers by month; and the
GNN trained on borrower labels, scoring every borrower."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from graph.model import Edge, Label, Node, RelType
from graph.store import GraphStore
from risk.models.gnn.portfolio_graph import (
    COMPANY,
    LOAN,
    PERSON,
    node_attributes,
    read_portfolio_graph,
)
from risk.models.gnn.portfolio_training import score_borrowers, train_on_borrowers
from risk.models.gnn.training import GnnConfig, GnnModel
from tests.graph.conftest import _sqlite_store, postgres_graph_store, store

__all__ = ["postgres_graph_store", "store"]

AS_OF = date(2024, 6, 30)


def _small_portfolio(store: GraphStore) -> None:
    person = {"P1": 3000, "P2": 1000, "P3": 5000, "P4": 800}
    nodes = [Node(p, Label.PERSON, {"monthly_income_minor": income,
                                    "birth_date": "1980-06-30"})
             for p, income in person.items()]
    nodes += [Node("C1", Label.COMPANY, {"registered_capital_minor": 10_000}),
              Node("C2", Label.COMPANY, {})]
    nodes += [Node("L1", Label.LOAN, {"principal_minor": 500, "disbursed_on": "2024-01-01",
                                      "maturity_on": "2025-07-01"}),
              Node("L2", Label.LOAN, {"principal_minor": 900, "disbursed_on": "2025-01-01"}),
              Node("L3", Label.LOAN, {"principal_minor": 700, "disbursed_on": "2023-05-01"})]
    nodes += [Node("phone:x", Label.PHONE, {}), Node("address:public", Label.ADDRESS, {}),
              Node("A1", Label.ACCOUNT, {}), Node("A2", Label.ACCOUNT, {})]
    edges = [
        Edge(RelType.BORROWS, "P1", "L1"), Edge(RelType.BORROWS, "C1", "L2"),
        Edge(RelType.BORROWS, "P2", "L3"),
        Edge(RelType.GUARANTEES, "P3", "L1", props={"signed_on": "2023-12-01"}),
        Edge(RelType.GUARANTEES, "P4", "L3", props={"signed_on": "2024-09-01"}),  # later
        Edge(RelType.OWNS, "P1", "C1", props={"valid_from": "2020-01-01"}),
        Edge(RelType.OWNS, "P2", "C1", props={"valid_from": "2024-07-01"}),  # later
        Edge(RelType.DIRECTS, "P3", "C2"),
        Edge(RelType.RELATED, "P1", "P2", "family", {"kind": "family"}),
        Edge(RelType.RELATED, "C1", "C2", "supplier",
             {"kind": "supplier", "valid_to": "2024-01-01"}),  # ended
        Edge(RelType.RELATED, "C2", "C1", "customer", {"kind": "customer"}),
        Edge(RelType.USES, "P1", "phone:x"), Edge(RelType.USES, "P2", "phone:x"),
        Edge(RelType.USES, "P3", "phone:x", props={"valid_from": "2025-01-01"}),  # later
        *[Edge(RelType.USES, p, "address:public") for p in person],
        Edge(RelType.HOLDS, "P1", "A1"), Edge(RelType.HOLDS, "C2", "A2"),
        Edge(RelType.TRANSFERS, "A1", "A2", "2024-05", {"amount": 10.0}),
        Edge(RelType.TRANSFERS, "A2", "A1", "2024-06", {"amount": 5.0}),  # ends on AS_OF
        Edge(RelType.TRANSFERS, "A2", "A1", "2024-07", {"amount": 7.0}),  # later
    ]
    store.upsert_batch(nodes, edges)


def _pairs(graph, edge_type: tuple[str, str, str]) -> set[tuple[str, str]]:
    source, _, target = edge_type
    index = graph.edges.get(edge_type, np.zeros((2, 0), dtype=np.int64))
    return {(graph.ids[source][a], graph.ids[target][b]) for a, b in index.T.tolist()}


def test_the_graph_as_of_a_date(store: GraphStore) -> None:
    _small_portfolio(store)
    graph = read_portfolio_graph(store, AS_OF, public_above=3)
    # P4 only guarantees after the date (and uses a public address): not a party yet.
    assert graph.ids[PERSON].tolist() == ["P1", "P2", "P3"]
    assert graph.ids[COMPANY].tolist() == ["C1", "C2"]
    assert graph.ids[LOAN].tolist() == ["L1", "L3"]  # L2 is disbursed after the date
    assert _pairs(graph, (PERSON, "borrows", LOAN)) == {("P1", "L1"), ("P2", "L3")}
    assert _pairs(graph, (PERSON, "guarantees", LOAN)) == {("P3", "L1")}
    assert _pairs(graph, (PERSON, "owns", COMPANY)) == {("P1", "C1")}
    assert _pairs(graph, (PERSON, "directs", COMPANY)) == {("P3", "C2")}
    assert _pairs(graph, (PERSON, "related_family", PERSON)) == {("P1", "P2")}
    assert _pairs(graph, (COMPANY, "related_customer", COMPANY)) == {("C2", "C1")}
    assert (COMPANY, "related_supplier", COMPANY) not in graph.edges  # ended before
    # The phone links P1 and P2 (P3 uses it later); the address has 4 users: public.
    assert _pairs(graph, (PERSON, "shares_identifier~both", PERSON)) == {
        ("P1", "P2"), ("P2", "P1")}
    assert _pairs(graph, (PERSON, "transfers", COMPANY)) == {("P1", "C2")}
    assert _pairs(graph, (COMPANY, "transfers", PERSON)) == {("C2", "P1")}  # June only
    assert graph.index(COMPANY, ["C2", "nobody"]).tolist() == [1, -1]
    assert graph.borrower_positions(["P2", "C1", "L1", "P4"]).tolist() == [1, 3, -1, -1]
    assert graph.excluded == 3  # P2 owns later, the supplier relation ended, P3's phone


def test_features_align_to_the_nodes(store: GraphStore) -> None:
    _small_portfolio(store)
    graph = read_portfolio_graph(store, AS_OF, public_above=3)
    features = node_attributes(store, graph)
    hetero = graph.hetero(features)
    persons = hetero.features[PERSON]
    assert hetero.feature_names[PERSON] == ["monthly_income", "age_years"]
    assert persons[:, 0].tolist() == [3000.0, 1000.0, 5000.0]
    assert persons[0, 1] == pytest.approx(44.0, abs=0.01)
    assert hetero.features[LOAN][:, 3].tolist() == [181.0, 426.0]  # days since disbursed
    assert hetero.features[LOAN][0, 4] == 366.0 and np.isnan(hetero.features[LOAN][1, 4])
    # Rows given in any order, some for nodes not in the graph.
    given = {PERSON: (np.array(["P3", "ZZ", "P1"], dtype=object),
                      np.array([[3.0], [9.0], [1.0]], dtype=np.float32), ["x"])}
    aligned = graph.hetero(given).features[PERSON][:, 0]
    assert aligned[[0, 2]].tolist() == [1.0, 3.0]
    assert np.isnan(aligned[1])
    assert graph.hetero(given).features[COMPANY].shape == (2, 0)


def test_trained_on_borrower_labels_it_scores_every_borrower(tmp_path: Path) -> None:
    # 400 persons with one loan each; persons who share a phone with a risky borrower
    # default too. The risk is a loan attribute: only the graph carries it to the person.
    rng = np.random.default_rng(0)
    n = 400
    rate = rng.uniform(0.02, 0.2, n)
    nodes = [Node(f"P{k:03d}", Label.PERSON, {}) for k in range(n)]
    nodes += [Node(f"L{k:03d}", Label.LOAN, {"annual_rate": float(rate[k]),
                                              "disbursed_on": "2024-01-01"})
              for k in range(n)]
    nodes += [Node(f"phone:{k}", Label.PHONE, {}) for k in range(n // 2)]
    edges = [Edge(RelType.BORROWS, f"P{k:03d}", f"L{k:03d}") for k in range(n)]
    edges += [Edge(RelType.USES, f"P{k:03d}", f"phone:{k // 2}") for k in range(n)]
    store = _sqlite_store(tmp_path / "graph.db")
    store.upsert_batch(nodes, edges)
    risky = rate > 0.15
    pair_risky = risky | risky[np.arange(n) ^ 1]
    y = (rng.random(n) < np.where(pair_risky, 0.6, 0.05)).astype(np.int64)
    ids = [f"P{k:03d}" for k in range(n)]
    graph = read_portfolio_graph(store, AS_OF)
    hetero = graph.hetero(node_attributes(store, graph))
    test = rng.random(n) < 0.25
    model = train_on_borrowers(graph, hetero, np.array(ids)[~test], y[~test],
                               config=GnnConfig(seed=1, max_epochs=80), threads=1)
    scores = score_borrowers(model, graph, hetero, [*ids, "P999"])
    assert np.isnan(scores[-1]) and not np.isnan(scores[:-1]).any()
    # Half the defaults follow the partner's loan, which only the graph shows.
    own = roc_auc_score(y[test], rate[test])
    assert roc_auc_score(y[test], scores[:-1][test]) > max(0.7, own + 0.05)
    # Persons and companies scored by one head survive a save and a load.
    loaded = GnnModel.from_bytes(model.to_bytes())
    assert loaded.targets == (PERSON, COMPANY)
    assert np.array_equal(score_borrowers(loaded, graph, hetero, ids), scores[:-1])
    store.close()
