"""The GNN itself: it reads the neighbours, it is calibrated, seeded, stops early, and
survives a save and a load."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from risk.models.gnn.errors import GraphModelError
from risk.models.gnn.hetero_graph import HeteroGraph
from risk.models.gnn.training import GnnConfig, GnnModel, train_gnn
from tests.models.gnn_data import generate_network

pytestmark = pytest.mark.filterwarnings("error")


def _graph(n: int = 1500, seed: int = 0) -> tuple[HeteroGraph, np.ndarray, dict]:
    net = generate_network(n, seed=seed, unlabelled=0.0)
    features = np.stack([net.signal, net.noise], axis=1).astype(np.float32)
    kinds = np.array(net.kind)
    edges = {("node", kind, "node"): np.stack([net.source[kinds == kind],
                                              net.target[kinds == kind]])
             for kind in ("guarantees", "owns")}
    graph = HeteroGraph({"node": features}, edges, {"node": ["signal", "noise"]})
    u = np.random.default_rng(seed + 1).random(n)
    parts = {"train": u < 0.6, "valid": (u >= 0.6) & (u < 0.8), "test": u >= 0.8}
    return graph, net.label, parts


@pytest.fixture(scope="module")
def trained() -> tuple[GnnModel, HeteroGraph, np.ndarray, dict]:
    graph, y, parts = _graph()
    model = train_gnn(graph, "node", y, parts["train"], parts["valid"], GnnConfig(seed=3),
                      threads=1)
    return model, graph, y, parts


def test_the_gnn_reads_the_neighbours_and_beats_the_node_alone(trained) -> None:
    model, graph, y, parts = trained
    test = parts["test"]
    pd_ = model.predict_pd(graph)
    alone = np.nan_to_num(graph.features["node"][:, 0])
    # The label follows the neighbours' risk: the node's own signal says little.
    assert roc_auc_score(y[test], pd_[test]) > roc_auc_score(y[test], alone[test]) + 0.12
    assert roc_auc_score(y[test], pd_[test]) > 0.65


def test_output_is_calibrated_on_the_valid_part(trained) -> None:
    model, graph, y, parts = trained
    pd_ = model.predict_pd(graph)
    assert ((pd_ > 0) & (pd_ < 1)).all()
    # The positive class weight pushes raw scores up; Platt brings the mean back to the rate.
    for part in ("valid", "test"):
        assert abs(pd_[parts[part]].mean() - y[parts[part]].mean()) < 0.04


def test_early_stopping_keeps_the_best_epoch(trained) -> None:
    model, graph, y, parts = trained
    history = model.history
    assert history is not None
    assert history.best_epoch <= history.epochs < model.config.max_epochs
    assert history.epochs - history.best_epoch == model.config.patience
    assert history.best_valid_auc == max(history.valid_auc)
    valid = parts["valid"]
    assert roc_auc_score(y[valid], model.logits(graph)[valid]) == pytest.approx(
        history.best_valid_auc, abs=1e-6)


def test_same_seed_same_model_bit_for_bit() -> None:
    graph, y, parts = _graph(400, seed=5)
    config = GnnConfig(seed=11, max_epochs=15)
    first = train_gnn(graph, "node", y, parts["train"], parts["valid"], config, threads=1)
    second = train_gnn(graph, "node", y, parts["train"], parts["valid"], config, threads=1)
    other = train_gnn(graph, "node", y, parts["train"], parts["valid"],
                      GnnConfig(seed=12, max_epochs=15), threads=1)
    assert np.array_equal(first.predict_pd(graph), second.predict_pd(graph))
    assert not np.array_equal(first.predict_pd(graph), other.predict_pd(graph))


def test_saved_model_loads_with_weights_only_and_scores_the_same(trained) -> None:
    model, graph, _, _ = trained
    payload = model.to_bytes()
    loaded = GnnModel.from_bytes(payload)
    assert loaded.kind == "gnn"
    assert loaded.config == model.config
    assert np.array_equal(loaded.predict_pd(graph), model.predict_pd(graph))


def test_damaged_bytes_and_other_features_are_refused(trained) -> None:
    model, graph, _, _ = trained
    with pytest.raises(GraphModelError, match="not a saved GNN model"):
        GnnModel.from_bytes(b"not a model")
    renamed = HeteroGraph(graph.features, graph.edges, {"node": ["signal", "income"]})
    with pytest.raises(GraphModelError, match="expected signal, noise, got signal, income"):
        model.predict_pd(renamed)


def test_heterogeneous_graph_learns_through_another_node_type() -> None:
    # Borrowers (no attributes at all) and loans: a borrower defaults when its loan is risky,
    # which only the loan's attribute says; a borrower is reached through BORROWS.
    rng = np.random.default_rng(4)
    n = 600
    risky = rng.random(n)
    loan_of = rng.permutation(n)
    y = (rng.random(n) < 0.05 + 0.6 * (risky[loan_of] > 0.7)).astype(np.int64)
    graph = HeteroGraph(
        {"person": np.zeros((n, 0), dtype=np.float32),
         "loan": risky[:, None].astype(np.float32)},
        {("person", "borrows", "loan"): np.stack([np.arange(n), loan_of])},
        {"person": [], "loan": ["risky"]})
    u = rng.random(n)
    train, valid, test = u < 0.6, (u >= 0.6) & (u < 0.8), u >= 0.8
    model = train_gnn(graph, "person", y, train, valid, GnnConfig(seed=0), threads=1)
    assert roc_auc_score(y[test], model.predict_pd(graph)[test]) > 0.75


def test_bad_masks_are_refused() -> None:
    graph, y, parts = _graph(200)
    with pytest.raises(ValueError, match="both in train and in valid"):
        train_gnn(graph, "node", y, parts["train"], parts["train"], threads=1)
    with pytest.raises(ValueError, match="the valid part needs both classes"):
        train_gnn(graph, "node", y, parts["train"], parts["valid"] & (y == 0), threads=1)


def test_known_labels_as_inputs_carry_what_attributes_do_not() -> None:
    # Groups of 8 share a hidden risk that no attribute shows: only the labels of the other
    # members tell. A node never sees its own label (half the train labels shown per epoch,
    # test labels never), so only the label-input model can rank the test nodes.
    rng = np.random.default_rng(7)
    groups, size = 150, 8
    n = groups * size
    group = np.repeat(np.arange(groups), size)
    risk = rng.normal(size=groups)[group] * 2.0
    y = (rng.random(n) < 1 / (1 + np.exp(-(-2.0 + risk)))).astype(np.int64)
    pairs = [(a, b) for g in range(groups) for a in range(g * size, (g + 1) * size)
             for b in range(a + 1, (g + 1) * size) if rng.random() < 0.5]
    index = np.array(pairs).T
    graph = HeteroGraph({"node": rng.normal(size=(n, 2)).astype(np.float32)},
                        {("node", "knows", "node"): index}, {"node": ["a", "b"]})
    u = rng.random(n)
    train, valid, test = u < 0.6, (u >= 0.6) & (u < 0.8), u >= 0.8
    known = np.where(train, y, -1)
    blind = train_gnn(graph, "node", y, train, valid, GnnConfig(seed=0, max_epochs=60),
                      threads=1)
    told = train_gnn(graph, "node", y, train, valid,
                     GnnConfig(seed=0, max_epochs=60, label_inputs=True), threads=1)
    told_auc = roc_auc_score(y[test], told.predict_pd(graph, known)[test])
    assert told_auc > roc_auc_score(y[test], blind.predict_pd(graph)[test]) + 0.1
    assert told_auc > 0.7
    with pytest.raises(ValueError, match="reads known labels"):
        told.predict_pd(graph)
    # The known labels travel with the scoring call, not inside the model.
    assert np.array_equal(GnnModel.from_bytes(told.to_bytes()).predict_pd(graph, known),
                          told.predict_pd(graph, known))
