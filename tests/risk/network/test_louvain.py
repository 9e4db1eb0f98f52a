"""Louvain communities per component: two cliques and a path found as themselves whether
the components are partitioned together or each alone, numbered largest first (ties by the
smallest member), unlinked parties last, the same on every run."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
import scipy.sparse as sp

from risk.network.features.centrality import louvain
from risk.network.features.parameters import FeatureParameters, InvalidFeatureParameters


def _graph() -> tuple[sp.csr_matrix, np.ndarray]:
    """Parties 0-4 and 5-9 two cliques of five, 10-12 a path, 13 and 14 unlinked."""
    graph = nx.disjoint_union(nx.complete_graph(5), nx.complete_graph(5))
    graph = nx.disjoint_union(graph, nx.path_graph(3))
    graph.add_nodes_from([13, 14])
    adjacency = sp.csr_matrix(nx.to_scipy_sparse_array(graph, nodelist=range(15),
                                                       dtype=np.int32))
    return adjacency, np.flatnonzero(np.diff(adjacency.indptr) > 0)


@pytest.mark.parametrize("alone_from", [1, 5, 10_000])
def test_components_partitioned_alone_or_together_give_the_same_communities(
        alone_from: int) -> None:
    adjacency, active = _graph()
    params = FeatureParameters(louvain_alone_from=alone_from)

    community = louvain(adjacency, active, params)

    assert community.tolist() == [0] * 5 + [1] * 5 + [2] * 3 + [3, 4]
    assert louvain(adjacency, active, params).tolist() == community.tolist()


def test_a_component_size_below_one_is_refused() -> None:
    with pytest.raises(InvalidFeatureParameters, match="Louvain component size 0"):
        FeatureParameters(louvain_alone_from=0).check()
