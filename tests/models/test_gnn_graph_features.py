"""Graph features of a node/edge table: exact on a tiny graph, and no node ever sees its own
label (nor a label outside the training part)."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from risk.models.gnn.graph_features import (
    label_features,
    neighbour_means,
    pagerank,
    safe_name,
    structural_features,
    undirected,
)

# 0 -> 1 (a), 0 -> 1 (a, parallel), 1 -> 2 (b), 2 -> 0 (a), 3 -> 2 (b); node 4 alone.
SOURCE = np.array([0, 0, 1, 2, 3])
TARGET = np.array([1, 1, 2, 0, 2])
KIND = np.array([0, 0, 1, 0, 1])
TYPES = ["a", "b"]
WEIGHT = np.array([1.0, 2.0, 0.5, 1.0, 4.0])


def test_degrees_weights_neighbours_and_two_hop_walks() -> None:
    f = structural_features(5, SOURCE, TARGET, KIND, TYPES, WEIGHT)
    assert f["graph_degree_out"].tolist() == [2, 1, 1, 1, 0]
    assert f["graph_degree_in"].tolist() == [1, 2, 2, 0, 0]
    assert f["graph_weight_out"].tolist() == [3.0, 0.5, 1.0, 4.0, 0.0]
    assert f["graph_degree_out_a"].tolist() == [2, 0, 1, 0, 0]
    assert f["graph_weight_in_b"].tolist() == [0.0, 0.0, 4.5, 0.0, 0.0]
    # Undirected neighbours: 0-{1,2}, 1-{0,2}, 2-{0,1,3}, 3-{2}.
    assert f["graph_neighbours"].tolist() == [2, 2, 3, 1, 0]
    # Walks i-j-k, k != i: node 3 -> 2 -> {0, 1}: 2; node 0 -> 1 -> 2, 0 -> 2 -> {1, 3}: 3.
    assert f["graph_two_hop_walks"].tolist() == [3, 3, 2, 2, 0]


def test_unweighted_and_untyped_edges_give_no_such_columns() -> None:
    f = structural_features(5, SOURCE, TARGET, np.zeros(5, dtype=np.int32), ["link"])
    assert not [c for c in f.columns if "weight" in c or c.endswith("_link")]


def test_pagerank_matches_networkx() -> None:
    g = nx.DiGraph()
    g.add_nodes_from(range(5))
    g.add_edges_from(set(zip(SOURCE.tolist(), TARGET.tolist(), strict=True)))
    expected = nx.pagerank(g, alpha=0.85, tol=1e-12, max_iter=1000)
    rows, cols = zip(*g.edges, strict=True)
    directed = sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(5, 5))
    found = pagerank(directed)
    assert found == pytest.approx([expected[k] for k in range(5)], abs=1e-6)
    assert found.sum() == pytest.approx(1.0)


def test_neighbour_means_skip_missing_values() -> None:
    numeric = pd.DataFrame({"income": [10.0, np.nan, 30.0, 50.0, 7.0]})
    means = neighbour_means(undirected(5, SOURCE, TARGET), numeric)
    values = means["graph_neighbour_mean_income"].tolist()
    assert values[:4] == [30.0, 20.0, 30.0, 30.0]
    assert np.isnan(values[4])


def test_neighbour_labels_never_read_the_node_itself_or_non_training_labels() -> None:
    train_label = np.array([1, 0, 1, -1, -1], dtype=np.int8)
    f = label_features(5, SOURCE, TARGET, KIND, TYPES, train_label)
    assert f["graph_neighbours_labelled"].tolist() == [2, 2, 2, 1, 0]
    assert f["graph_neighbours_positive"].tolist() == [1, 2, 1, 1, 0]
    assert f["graph_neighbours_positive_rate"].tolist()[:4] == [0.5, 1.0, 0.5, 1.0]
    # Node 3's two-hop walks reach 0 and 1 (through 2): one positive of two.
    assert f["graph_two_hop_positive_rate"][3] == 0.5
    # Flipping a node's own label, or any label outside train, changes none of its features.
    for node in range(5):
        flipped = train_label.copy()
        flipped[node] = {1: 0, 0: 1, -1: -1}[int(flipped[node])]
        other = label_features(5, SOURCE, TARGET, KIND, TYPES, flipped)
        assert other.iloc[node].equals(f.iloc[node])


def test_labels_outside_train_are_invisible() -> None:
    rng = np.random.default_rng(0)
    n, m = 300, 900
    source, target = rng.integers(0, n, m), rng.integers(0, n, m)
    keep = source != target
    source, target = source[keep], target[keep]
    kind = rng.integers(0, 2, len(source))
    train = rng.random(n) < 0.6
    y = rng.integers(0, 2, n)
    seen = label_features(n, source, target, kind, TYPES, np.where(train, y, -1))
    hidden = np.where(train, y, 1 - y)  # every label outside train changed
    again = label_features(n, source, target, kind, TYPES, np.where(train, hidden, -1))
    assert again.equals(seen)


def test_column_names_are_safe_for_gradient_boosting() -> None:
    assert safe_name('loan "A", [b]: {c}') == "loan__A____b____c_"
