"""Small generated networks whose labels follow the neighbours, for the GNN tests.

Each node has a latent risk ``z``; its attribute ``signal`` is ``z`` plus noise. Its label is
drawn from ``-2 + own · z + neighbours · mean(z of its neighbours)``: with ``neighbours``
large, a model that reads the neighbours' attributes (the GNN) or their labels (graph
features) must beat one that reads the node alone. ``noise`` (a pure noise column),
``sector`` (categorical) and missing values are there to be handled, not to help.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np

__all__ = ["GeneratedNetwork", "generate_network", "write_network"]


@dataclass(frozen=True, eq=False)
class GeneratedNetwork:
    ids: list[str]
    signal: np.ndarray
    noise: np.ndarray
    sector: list[str]
    label: np.ndarray          # 1 / 0, -1 where unlabelled
    source: np.ndarray
    target: np.ndarray
    kind: list[str]
    weight: np.ndarray


def _neighbour_mean(values: np.ndarray, source: np.ndarray, target: np.ndarray) -> np.ndarray:
    total = np.zeros(len(values))
    count = np.zeros(len(values))
    np.add.at(total, source, values[target])
    np.add.at(count, source, 1)
    np.add.at(total, target, values[source])
    np.add.at(count, target, 1)
    return np.divide(total, count, out=np.zeros(len(values)), where=count > 0)


def generate_network(n: int = 1500, *, degree: float = 3.0, own: float = 0.3,
                     neighbours: float = 2.5, shared: float = 0.0, unlabelled: float = 0.1,
                     seed: int = 0) -> GeneratedNetwork:
    """``shared`` > 0 mixes the neighbours' risk into each node's own (groups that default
    together: the neighbours' labels then say something too)."""
    rng = np.random.default_rng(seed)
    z = rng.normal(size=n)
    m = int(n * degree / 2)
    source = rng.integers(0, n, m)
    target = rng.integers(0, n, m)
    keep = source != target
    source, target = source[keep], target[keep]
    if shared:
        z = z + shared * _neighbour_mean(z, source, target)
    mean = _neighbour_mean(z, source, target)
    logit = -2.0 + own * z + neighbours * mean
    label = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(np.int64)
    label[rng.random(n) < unlabelled] = -1
    signal = z + rng.normal(scale=0.5, size=n)
    signal[rng.random(n) < 0.05] = np.nan
    sectors = np.array(["trade", "farming", "building", "transport"])
    kinds = np.array(["guarantees", "owns"])
    return GeneratedNetwork(
        ids=[f"N{k:05d}" for k in range(n)], signal=signal, noise=rng.normal(size=n),
        sector=sectors[rng.integers(0, 4, n)].tolist(), label=label, source=source,
        target=target, kind=kinds[rng.integers(0, 2, len(source))].tolist(),
        weight=np.round(rng.lognormal(size=len(source)), 2))


def write_network(network: GeneratedNetwork, folder: Path, *, target: str = "default",
                  split: list[str] | None = None) -> tuple[Path, Path]:
    """``nodes.csv`` and ``edges.csv`` of ``network`` in ``folder``; ``split`` adds a split
    column."""
    nodes, edges = folder / "nodes.csv", folder / "edges.csv"
    with nodes.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", target, "signal", "noise", "sector"]
                        + (["split"] if split else []))
        for k, node_id in enumerate(network.ids):
            label = "" if network.label[k] < 0 else str(int(network.label[k]))
            signal = "" if np.isnan(network.signal[k]) else f"{network.signal[k]:.4f}"
            writer.writerow([node_id, label, signal, f"{network.noise[k]:.4f}",
                             network.sector[k]] + ([split[k]] if split else []))
    with edges.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["source", "target", "type", "weight"])
        for s, t, kind, w in zip(network.source, network.target, network.kind,
                                 network.weight, strict=True):
            writer.writerow([network.ids[s], network.ids[t], kind, w])
    return nodes, edges
