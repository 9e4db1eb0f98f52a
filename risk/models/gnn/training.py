"""Training the GNN full batch on the CPU, and the trained model: score, save, load.

One run (:func:`train_gnn`):

1. each node type's features are scaled (:mod:`.scaling`, fitted on every node, no label
   read), every relation gets its reverse (:meth:`HeteroGraph.with_reverse`);
2. the network (:class:`.network.HeteroSage`) is trained on the ``train`` nodes of the target
   type with Adam, full batch, the positive class weighted by ``negatives / positives`` so
   that a rare default still counts;
3. after every epoch the validation AUC is measured; training stops when it has not improved
   for ``patience`` epochs and the best epoch's weights are kept (early stopping);
4. the raw logits are calibrated by Platt scaling fitted on the ``valid`` nodes, so that the
   output is a probability (the class weight of 2. skews raw scores upwards).

With ``label_inputs`` (the "label trick"), the target nodes read two more input columns,
"known positive" and "known negative", so that a node hears its neighbours' known labels.
No node may read its own label: in each epoch a random half of the train nodes show their
labels and the loss is taken on the other half only; validation and scoring show every train
label (and never a valid or test one), which the caller passes as ``known``.

Seeded: the same graph, labels, split, config and thread count give the same model, bit for
bit. :meth:`GnnModel.to_bytes` writes the weights, the scaling and the calibration with the
config (``torch.save`` of tensors and plain values); :meth:`GnnModel.from_bytes` reads them
back with ``weights_only=True``, so no pickled code ever runs.
"""

from __future__ import annotations

import io
import os
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Final

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score

from risk.models.gnn.errors import GraphModelError
from risk.models.gnn.hetero_graph import EdgeType, HeteroGraph
from risk.models.gnn.network import CompactEdges, HeteroSage
from risk.models.gnn.pyg import torch
from risk.models.gnn.scaling import FeatureScaling, fit_scaling

__all__ = ["FORMAT", "PARALLEL_FROM", "GnnConfig", "GnnModel", "TrainingHistory", "default_threads",
           "train_gnn"]

#: Version of the saved artefact's layout.
FORMAT: Final = 1
#: Graphs of fewer nodes plus edges than this train on one thread (see default_threads).
PARALLEL_FROM: Final = 200_000
#: The probabilities returned stay within [EPSILON, 1 - EPSILON].
EPSILON: Final = 1e-6


@dataclass(frozen=True, slots=True)
class GnnConfig:
    """Hyper-parameters of the network and its training (defaults meant to generalise:
    nothing here is tuned to one data set)."""

    hidden: int = 64
    layers: int = 2
    dropout: float = 0.2
    learning_rate: float = 0.01
    weight_decay: float = 1e-4
    max_epochs: int = 300
    patience: int = 30
    seed: int = 0
    #: Known labels as inputs (see the module docstring): for a network scored where some
    #: labels are known (a lender's file), not for a portfolio scored on a later date.
    label_inputs: bool = False

    def __post_init__(self) -> None:
        for name in ("hidden", "layers", "max_epochs", "patience"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1, got {getattr(self, name)}")
        if not 0 <= self.dropout < 1:
            raise ValueError(f"dropout must be in [0, 1), got {self.dropout}")


@dataclass(frozen=True, slots=True)
class TrainingHistory:
    """What training did: epochs run, the epoch kept, its validation AUC, and the
    validation AUC after each epoch."""

    epochs: int
    best_epoch: int
    best_valid_auc: float
    valid_auc: list[float] = field(default_factory=list)


def default_threads(size: int | None = None) -> int:
    """The CPU threads to train a graph of ``size`` nodes plus edges with: the cores this
    process may run on (torch's own default can count more), or 1 below
    :data:`PARALLEL_FROM`, where splitting small products among threads costs more than it
    gains (measured: 5,000 nodes train 3 to 7 times faster on one thread than on two)."""
    if size is not None and size < PARALLEL_FROM:
        return 1
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


class GnnModel:
    """A trained, calibrated GNN: probabilities of the target node type of a graph with the
    same node types, feature columns and relations it was trained on."""

    kind: Final = "gnn"

    def __init__(self, network: HeteroSage, scalings: dict[str, FeatureScaling],
                 feature_names: dict[str, list[str]], platt: tuple[float, float],
                 config: GnnConfig, history: TrainingHistory | None = None) -> None:
        self.network = network
        self.scalings = scalings
        self.feature_names = feature_names
        self.platt = platt
        self.config = config
        self.history = history

    @property
    def targets(self) -> tuple[str, ...]:
        """The node types scored, in the order of the scores."""
        return self.network.targets

    def logits(self, graph: HeteroGraph, known: np.ndarray | None = None) -> np.ndarray:
        """The raw (uncalibrated) score of every target node of ``graph``; ``known`` (1 / 0
        per target node, -1 where unknown) are the labels shown to a model trained with
        ``label_inputs``, the training labels."""
        x, edge_index = _tensors(graph.with_reverse(), self.scalings, self.feature_names)
        if self.config.label_inputs:
            (target,) = self.targets
            if known is None or len(known) != graph.num_nodes(target):
                raise ValueError("this model reads known labels: pass one per target node")
            x[target] = _with_labels(x[target], torch.from_numpy(
                np.asarray(known, dtype=np.int64)))
        self.network.eval()
        with torch.no_grad():
            return self.network(x, edge_index).double().numpy()

    def calibrate(self, logits: np.ndarray) -> np.ndarray:
        """Probabilities from raw scores, through the Platt scaling fitted on valid nodes."""
        slope, intercept = self.platt
        return np.clip(1.0 / (1.0 + np.exp(-(slope * logits + intercept))), EPSILON,
                       1 - EPSILON)

    def predict_pd(self, graph: HeteroGraph, known: np.ndarray | None = None) -> np.ndarray:
        """The calibrated probability of every target node of ``graph`` (``known``: see
        :meth:`logits`)."""
        return self.calibrate(self.logits(graph, known))

    def to_bytes(self) -> bytes:
        """The whole model (weights, scaling, calibration, config), readable by
        :meth:`from_bytes` without unpickling code."""
        state = {
            "format": FORMAT,
            "kind": self.kind,
            "config": asdict(self.config),
            "targets": list(self.network.targets),
            "in_dims": dict(self.network.in_dims),
            "edge_types": [list(e) for e in self.network.edge_types],
            "feature_names": {t: list(names) for t, names in self.feature_names.items()},
            "scaling": {t: {k: torch.from_numpy(v.astype(np.float64))
                            for k, v in s.arrays().items()}
                        for t, s in self.scalings.items()},
            "platt": [float(self.platt[0]), float(self.platt[1])],
            "weights": self.network.state_dict(),
        }
        buffer = io.BytesIO()
        torch.save(state, buffer)
        return buffer.getvalue()

    @classmethod
    def from_bytes(cls, payload: bytes) -> GnnModel:
        """The model :meth:`to_bytes` wrote.

        Raises:
            GraphModelError: the bytes are not a GNN artefact of this format.
        """
        try:
            state = torch.load(io.BytesIO(payload), weights_only=True)
        except Exception as exc:  # torch raises pickle, zip and runtime errors alike
            raise GraphModelError(f"not a saved GNN model: {exc}") from None
        if not isinstance(state, dict) or state.get("format") != FORMAT:
            raise GraphModelError("not a saved GNN model of format "
                                  f"{FORMAT} (found {state.get('format')!r})"
                                  if isinstance(state, dict) else "not a saved GNN model")
        config = GnnConfig(**state["config"])
        network = HeteroSage(state["in_dims"], [tuple(e) for e in state["edge_types"]],
                             state["targets"], hidden=config.hidden, layers=config.layers,
                             dropout=config.dropout)
        network.load_state_dict(state["weights"])
        scalings = {t: FeatureScaling(**{k: v.numpy() for k, v in arrays.items()})
                    for t, arrays in state["scaling"].items()}
        slope, intercept = state["platt"]
        return cls(network, scalings, state["feature_names"], (slope, intercept), config)


def _with_labels(x: torch.Tensor, known: torch.Tensor) -> torch.Tensor:
    """``x`` with the columns "known positive" and "known negative" (``known``: 1 / 0 / -1)."""
    return torch.cat([x, (known == 1).float().unsqueeze(1), (known == 0).float().unsqueeze(1)],
                     dim=1)


def _tensors(graph: HeteroGraph, scalings: dict[str, FeatureScaling],
             feature_names: dict[str, list[str]]
             ) -> tuple[dict[str, torch.Tensor], dict[EdgeType, CompactEdges]]:
    x = {}
    for t, scaling in scalings.items():
        if t not in graph.features:
            raise GraphModelError(f"the graph has no {t!r} nodes, which the model reads")
        if list(graph.feature_names[t]) != list(feature_names[t]):
            raise GraphModelError(
                f"the {t!r} features differ from the model's: expected "
                f"{', '.join(feature_names[t]) or 'none'}, got "
                f"{', '.join(graph.feature_names[t]) or 'none'}")
        x[t] = torch.from_numpy(scaling.transform(graph.features[t]))
    edge_index = {e: torch.from_numpy(np.ascontiguousarray(index, dtype=np.int64))
                  for e, index in graph.edges.items()}
    return x, HeteroSage.compact(edge_index)


def train_gnn(graph: HeteroGraph, target: str | Sequence[str], labels: np.ndarray,
              train: np.ndarray, valid: np.ndarray, config: GnnConfig | None = None, *,
              threads: int | None = None,
              progress: Any = None) -> GnnModel:
    """Train a :class:`GnnModel` scoring the ``target`` nodes of ``graph`` (one node type,
    or several scored by one head: ``labels`` and the masks then run over the first type's
    nodes, then the next type's).

    Parameters:
        labels: 0/1 per target node (any value where neither ``train`` nor ``valid``).
        train, valid: boolean masks over the target nodes; disjoint, each with both classes.
        threads: CPU threads torch may use (default: :func:`default_threads` of the graph).
        progress: called as ``progress(epoch, valid_auc)`` after each epoch, if given.

    Raises:
        ValueError: masks of the wrong length, overlapping, or a part with one class.

    Time and memory are linear in nodes and edges per epoch: every epoch is one forward and
    backward pass over the whole graph (messages ``E × hidden`` floats per layer) and one
    forward pass to validate.
    """
    config = config or GnnConfig()
    targets = (target,) if isinstance(target, str) else tuple(target)
    n = sum(graph.num_nodes(t) for t in targets)
    if config.label_inputs and len(targets) > 1:
        raise ValueError("label inputs need a single target type")
    target = targets[0]
    labels = np.asarray(labels)
    train, valid = np.asarray(train, dtype=bool), np.asarray(valid, dtype=bool)
    for name, array in (("labels", labels), ("train", train), ("valid", valid)):
        if len(array) != n:
            raise ValueError(f"{name} has {len(array)} entries for {n} target nodes")
    if (train & valid).any():
        raise ValueError("a node is both in train and in valid")
    for name, mask in (("train", train), ("valid", valid)):
        if len(np.unique(labels[mask])) < 2:
            raise ValueError(f"the {name} part needs both classes")
    size = sum(graph.num_nodes(t) for t in graph.node_types) + graph.num_edges()
    torch.set_num_threads(threads or default_threads(size))
    torch.manual_seed(config.seed)

    full = graph.with_reverse()
    scalings = {t: fit_scaling(full.features[t]) for t in full.node_types}
    names = {t: list(full.feature_names[t]) for t in full.node_types}
    x, edge_index = _tensors(full, scalings, names)
    in_dims = {t: s.n_out for t, s in scalings.items()}
    if config.label_inputs:
        in_dims[target] += 2
    network = HeteroSage(in_dims, full.edge_types, targets,
                         hidden=config.hidden, layers=config.layers, dropout=config.dropout)
    y = torch.from_numpy(labels.astype(np.float32))
    train_ix = torch.from_numpy(np.flatnonzero(train))
    valid_ix = np.flatnonzero(valid)
    y_valid = labels[valid_ix].astype(np.int64)
    positives = float(labels[train].astype(np.float64).sum())
    weight = torch.tensor((len(train_ix) - positives) / positives)
    loss_fn = torch.nn.BCEWithLogitsLoss(pos_weight=weight)
    optimiser = torch.optim.Adam(network.parameters(), lr=config.learning_rate,
                                 weight_decay=config.weight_decay)

    plain_x = x[target]
    shown = torch.full((n,), -1, dtype=torch.int64)
    shown[train_ix] = torch.from_numpy(labels[train].astype(np.int64))
    # Validation sees every train label, never a valid one.
    x_valid = {**x, target: _with_labels(plain_x, shown)} if config.label_inputs else x
    halves = torch.Generator().manual_seed(config.seed)
    best_auc, best_epoch, best_state, best_logits = -1.0, 0, None, None
    history: list[float] = []
    epoch = 0
    for epoch in range(1, config.max_epochs + 1):
        network.train()
        optimiser.zero_grad()
        x_train, loss_ix = x, train_ix
        if config.label_inputs:
            order = train_ix[torch.randperm(len(train_ix), generator=halves)]
            visible, loss_ix = order[:len(order) // 2], order[len(order) // 2:]
            half = torch.full((n,), -1, dtype=torch.int64)
            half[visible] = shown[visible]
            x_train = {**x, target: _with_labels(plain_x, half)}
        loss = loss_fn(network(x_train, edge_index)[loss_ix], y[loss_ix])
        loss.backward()
        torch.nn.utils.clip_grad_norm_(network.parameters(), 1.0)
        optimiser.step()
        network.eval()
        with torch.no_grad():
            scores = network(x_valid, edge_index)[valid_ix].double().numpy()
        valid_auc = float(roc_auc_score(y_valid, scores)) if np.isfinite(scores).all() else 0.0
        history.append(valid_auc)
        if progress is not None:
            progress(epoch, valid_auc)
        if valid_auc > best_auc:
            best_auc, best_epoch, best_logits = valid_auc, epoch, scores
            best_state = {k: v.detach().clone() for k, v in network.state_dict().items()}
        elif epoch - best_epoch >= config.patience:
            break
    assert best_state is not None and best_logits is not None
    network.load_state_dict(best_state)
    network.eval()
    platt = _fit_platt(best_logits, y_valid)
    return GnnModel(network, scalings, names, platt, config,
                    TrainingHistory(epochs=epoch, best_epoch=best_epoch,
                                    best_valid_auc=best_auc, valid_auc=history))


def _fit_platt(logits: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """Slope and intercept of a logistic regression of ``y`` on the raw scores (Platt)."""
    fit = LogisticRegression(C=1e6, max_iter=1000).fit(logits.reshape(-1, 1), y)
    return float(fit.coef_[0, 0]), float(fit.intercept_[0])
