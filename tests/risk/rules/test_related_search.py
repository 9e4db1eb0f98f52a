"""The related-default search: the vectorised breadth-first search finds the same distances
and the same paths as networkx's multi-source Dijkstra did (the earlier implementation,
kept here as the reference), and the path's edge is the smallest identity among parallel
edges of different types."""

from __future__ import annotations

import random

import networkx as nx
import numpy as np
import pytest
import scipy.sparse as sp

from graph.model import Edge, Label, Node, RelType
from risk.rules.evaluate import evaluate
from risk.rules.loader import parse_rules
from risk.rules.signals.related import breadth_first
from tests.risk.rules.hand_data import AS_OF
from tests.risk.rules.stores import Stores


def _reference(n: int, edges: list[tuple[int, int]], sources: list[int], hops: int
               ) -> tuple[dict[int, int], dict[int, list[int]]]:
    """What the rule computed before: nodes and edges added in sorted order, then
    ``multi_source_dijkstra`` from the sorted sources."""
    graph = nx.Graph()
    graph.add_nodes_from(range(n))
    graph.add_edges_from(sorted((min(a, b), max(a, b)) for a, b in edges))
    distance, paths = nx.multi_source_dijkstra(graph, sorted(sources), cutoff=hops)
    return distance, paths


@pytest.mark.parametrize("seed", range(12))
def test_breadth_first_matches_the_networkx_search_it_replaced(seed: int) -> None:
    rng = random.Random(seed)
    n = rng.randint(5, 80)
    edges = [(rng.randrange(n), rng.randrange(n)) for _ in range(rng.randint(0, 3 * n))]
    edges = [(a, b) for a, b in edges if a != b]
    sources = sorted(rng.sample(range(n), rng.randint(1, 4)))
    hops = rng.randint(1, 6)
    rows = [a for a, b in edges] + [b for a, b in edges]
    cols = [b for a, b in edges] + [a for a, b in edges]
    adjacency = sp.csr_matrix((np.ones(len(rows), dtype=np.int8), (rows, cols)), shape=(n, n))
    adjacency.sum_duplicates()

    distance, parent = breadth_first(adjacency, np.array(sources), hops)

    expected_distance, expected_paths = _reference(n, edges, sources, hops)
    assert {i: int(d) for i, d in enumerate(distance.tolist()) if d >= 0} == expected_distance
    for node, path in expected_paths.items():
        walked = [node]
        while parent[walked[-1]] >= 0:
            walked.append(int(parent[walked[-1]]))
        assert walked[::-1] == path


def test_of_parallel_edges_the_path_shows_the_smallest_identity(stores: Stores) -> None:
    # P owns 60% of D and, derived from it, CONTROLS D: the same two ends, two types.
    stores.graph.upsert_batch(
        [Node("P", Label.PERSON, {"name": "P"}), Node("D", Label.COMPANY, {"name": "D"})],
        [Edge(RelType.OWNS, "P", "D", props={"pct": 0.6}),
         Edge(RelType.CONTROLS, "P", "D", props={"current": True})])

    class Defaulted:
        def days_past_due(self, as_of: object) -> dict[str, int]:
            return {}

        def missed_installments(self, as_of: object, since: object) -> dict[str, int]:
            return {}

        def defaulted_parties(self, as_of: object) -> list[str]:
            return ["D"]

    rules = parse_rules(
        "rules:\n  - {id: related, signal: related_default, severity: high, description: d,\n"
        "     hops: 1, via: [OWNS, CONTROLS]}\n  - {id: owns, signal: related_default,\n"
        "     severity: high, description: d, hops: 1, via: [OWNS]}\n", "test.yaml").rules
    drafts = {d.rule_id: d for d in evaluate(rules, as_of=AS_OF, graph=stores.graph,
                                             engine=stores.engine,
                                             delinquency=Defaulted()).drafts}
    assert drafts["related"].subject_id == "P"
    assert drafts["related"].signals[0]["via"] == ["CONTROLS"]
    assert drafts["owns"].signals[0]["via"] == ["OWNS"]
    assert [(e["source"], e["type"], e["target"]) for e in drafts["owns"].evidence["edges"]] \
        == [("P", "OWNS", "D")]
