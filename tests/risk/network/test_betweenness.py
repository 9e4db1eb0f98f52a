"""Betweenness on sparse matrices against networkx: exact when every linked party is a
source, and, from sampled sources, networkx's dependencies of those very sources with
networkx 3.6's rescaling; components, isolated parties and batches of sources included."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
import scipy.sparse as sp

from risk.network.features.betweenness import SOURCE_BATCH, betweenness
from risk.network.features.parameters import FeatureParameters


def _portfolio_like() -> nx.Graph:
    """A random component of 120 parties, a path, a ring of 40 (more sources than one
    batch), and three isolated parties."""
    graph = nx.gnm_random_graph(120, 150, seed=4)
    graph = nx.disjoint_union(graph, nx.path_graph(5))
    graph = nx.disjoint_union(graph, nx.cycle_graph(40))
    graph.add_nodes_from(range(len(graph), len(graph) + 3))
    return graph


def _arrays(graph: nx.Graph) -> tuple[sp.csr_matrix, np.ndarray]:
    adjacency = sp.csr_matrix(nx.to_scipy_sparse_array(graph, nodelist=range(len(graph)),
                                                       dtype=np.int32))
    return adjacency, np.flatnonzero(np.diff(adjacency.indptr) > 0)


def test_every_source_gives_networkx_exact_betweenness() -> None:
    graph = _portfolio_like()
    adjacency, active = _arrays(graph)
    assert SOURCE_BATCH < 40  # the ring of 40 spans several batches

    got = betweenness(adjacency, active, FeatureParameters(betweenness_k=10_000))

    expected = nx.betweenness_centrality(graph)
    assert got.tolist() == pytest.approx([expected[v] for v in range(len(graph))], abs=1e-15)


def test_sampled_sources_are_rescaled_as_networkx_rescales_them() -> None:
    graph = _portfolio_like()
    adjacency, active = _arrays(graph)
    k, seed = 20, 9

    got = betweenness(adjacency, active, FeatureParameters(betweenness_k=k, seed=seed))

    # The sources drawn, and networkx's dependencies from exactly those sources.
    picked = np.sort(np.random.default_rng(seed).choice(len(active), size=k, replace=False))
    sources = [int(active[i]) for i in picked]
    linked = graph.subgraph(active.tolist())
    dependency = nx.betweenness_centrality_subset(linked, sources=sources,
                                                  targets=list(linked), normalized=False)
    pairs, n = len(active) - 1, len(graph)
    for v in linked:
        scale = pairs / (k - 1) if v in sources else pairs / k
        assert got[v] == pytest.approx(dependency[v] * scale / ((n - 1) * (n - 2) / 2),
                                       abs=1e-15)
    assert got.max() > 0
    assert got[len(graph) - 3:].tolist() == [0.0, 0.0, 0.0]  # isolated
