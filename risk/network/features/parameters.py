"""The knobs of the graph features and their defaults, and the names of the degree columns.

A leaf: it imports nothing of the features package, so the result type, the computation
and the scan can all name the defaults.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from loanwatch.errors import LoanwatchError
from risk.network.rings import DEFAULT_PUBLIC_ABOVE

__all__ = [
    "DEFAULT_BETWEENNESS_K",
    "DEFAULT_DISTANCE_CAP",
    "DEFAULT_HOPS",
    "DEFAULT_LOUVAIN_ALONE_FROM",
    "DEFAULT_SEED",
    "DEGREE_NAMES",
    "FeatureParameters",
    "InvalidFeatureParameters",
]

#: Hops of the exposure-within-k feature.
DEFAULT_HOPS: Final = 2
#: Distance to default is searched this many hops out; farther is ``inf``.
DEFAULT_DISTANCE_CAP: Final = 6
#: Sampled sources of the approximate betweenness.
DEFAULT_BETWEENNESS_K: Final = 64
#: Seed of Louvain and of the betweenness sample.
DEFAULT_SEED: Final = 20240101
#: A connected component of at least this many linked parties is partitioned by Louvain on
#: its own; the smaller ones together.
DEFAULT_LOUVAIN_ALONE_FROM: Final = 10_000
#: The degree columns, in order.
DEGREE_NAMES: Final = (
    "borrows", "guarantees_given", "guaranteed_by", "owns_out", "owns_in", "directs_out",
    "directs_in", "uses", "holds", "related", "risk_degree",
)


class InvalidFeatureParameters(LoanwatchError):
    """A graph-feature parameter is out of range."""


@dataclass(frozen=True, slots=True)
class FeatureParameters:
    """The knobs of :func:`risk.network.features.party_features`."""

    hops: int = DEFAULT_HOPS
    public_above: int = DEFAULT_PUBLIC_ABOVE
    distance_cap: int = DEFAULT_DISTANCE_CAP
    louvain_resolution: float = 1.0
    louvain_alone_from: int = DEFAULT_LOUVAIN_ALONE_FROM
    betweenness_k: int = DEFAULT_BETWEENNESS_K
    seed: int = DEFAULT_SEED
    pagerank_alpha: float = 0.85
    pagerank_tol: float = 1.0e-9
    pagerank_max_iter: int = 200

    def check(self) -> None:
        """Raise :class:`InvalidFeatureParameters` naming the first parameter out of range."""
        if self.hops < 1:
            raise InvalidFeatureParameters(f"hops {self.hops} must be at least 1")
        if self.public_above < 2:
            raise InvalidFeatureParameters(
                f"public threshold {self.public_above} must be at least 2")
        if self.distance_cap < 1:
            raise InvalidFeatureParameters(
                f"distance cap {self.distance_cap} must be at least 1")
        if self.louvain_alone_from < 1:
            raise InvalidFeatureParameters(
                f"Louvain component size {self.louvain_alone_from} must be at least 1")
        if self.betweenness_k < 1:
            raise InvalidFeatureParameters(
                f"betweenness sample {self.betweenness_k} must be at least 1")
        if not 0.0 < self.pagerank_alpha < 1.0:
            raise InvalidFeatureParameters(
                f"PageRank damping {self.pagerank_alpha} must be strictly between 0 and 1")
