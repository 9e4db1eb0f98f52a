"""A typed graph as plain arrays: what the GNN trains on and scores, whatever it came from
(a lender's node and edge files, or the stored portfolio).

Node types (``"node"`` for a file, ``"person"``, ``"company"``, ``"loan"`` for the
portfolio) each have ``n`` nodes numbered ``0..n-1`` and a ``float32`` feature matrix
(``n × f``, NaN where a value is missing; ``f`` may be 0). Edge types are triples
``(source type, relation, target type)``, each with an ``int64`` array ``2 × E`` of source
and target indices (parallel edges allowed). :meth:`HeteroGraph.with_reverse` adds each
relation read backwards (``relation~rev``), so that a message passes both ways and every
node type is reached; a relation named ``…~both`` already holds both directions (a shared
phone, "any neighbour") and is not reversed again.

No torch here: the arrays become tensors inside :mod:`.training`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

import numpy as np

__all__ = ["REVERSE", "SYMMETRIC", "EdgeType", "HeteroGraph"]

#: Suffix of a relation read backwards.
REVERSE: Final = "~rev"
#: Suffix of a relation that holds each link both ways already (never reversed).
SYMMETRIC: Final = "~both"

EdgeType = tuple[str, str, str]


@dataclass(frozen=True, eq=False)
class HeteroGraph:
    """Node feature matrices per type and edge index arrays per edge type.

    ``features[t]``: ``float32`` ``n_t × f_t``. ``edges[(s, r, t)]``: ``int64`` ``2 × E``,
    row 0 indices into type ``s``, row 1 into type ``t``. ``feature_names[t]`` names the
    columns of ``features[t]``.
    """

    features: Mapping[str, np.ndarray]
    edges: Mapping[EdgeType, np.ndarray]
    feature_names: Mapping[str, list[str]]

    def __post_init__(self) -> None:
        for node_type, matrix in self.features.items():
            if matrix.ndim != 2:
                raise ValueError(f"features of {node_type!r} must be a matrix, "
                                 f"got shape {matrix.shape}")
            if len(self.feature_names.get(node_type, [])) != matrix.shape[1]:
                raise ValueError(f"{node_type!r}: {matrix.shape[1]} feature columns but "
                                 f"{len(self.feature_names.get(node_type, []))} names")
        for edge_type, index in self.edges.items():
            source, _, target = edge_type
            if source not in self.features or target not in self.features:
                raise ValueError(f"edge type {edge_type} joins an unknown node type")
            if index.ndim != 2 or index.shape[0] != 2:
                raise ValueError(f"edges of {edge_type} must be 2 × E, got {index.shape}")
            for row, node_type in ((0, source), (1, target)):
                if index.shape[1] and not 0 <= int(index[row].min()) <= int(
                        index[row].max()) < self.num_nodes(node_type):
                    raise ValueError(f"edges of {edge_type} name a {node_type!r} node "
                                     "outside its range")

    @property
    def node_types(self) -> list[str]:
        return sorted(self.features)

    @property
    def edge_types(self) -> list[EdgeType]:
        return sorted(self.edges)

    def num_nodes(self, node_type: str) -> int:
        return int(self.features[node_type].shape[0])

    def num_edges(self) -> int:
        return int(sum(index.shape[1] for index in self.edges.values()))

    def with_reverse(self) -> HeteroGraph:
        """This graph with every relation also read backwards, as ``relation~rev`` from its
        target type to its source type (reversed and symmetric relations are kept as they
        are)."""
        edges: dict[EdgeType, np.ndarray] = dict(self.edges)
        for (source, relation, target), index in self.edges.items():
            if relation.endswith((REVERSE, SYMMETRIC)):
                continue
            edges.setdefault((target, relation + REVERSE, source), index[::-1].copy())
        return HeteroGraph(self.features, edges, self.feature_names)
