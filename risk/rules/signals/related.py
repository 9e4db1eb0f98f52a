"""``related_default``: a party within ``hops`` steps of a party in default.

The graph of the rule's ``via`` relationship types is walked without regard to direction
from every defaulted party (the :class:`risk.rules.delinquency.DelinquencySource` names
them); each person or company reached within ``hops`` edges, not itself in default, is
alerted with the shortest path to the nearest defaulted party. A
guarantee is two steps: guarantor → GUARANTEES → loan ← BORROWS ← borrower. Relationships
carry no dates yet: they are taken as they stand.

Evaluated on arrays: the edges of ``via`` come from the scan's projection (``BORROWS``,
``GUARANTEES``), its ownership arrays (``OWNS``) and streamed reads (the rest), into one
undirected scipy CSR matrix over every node, ids in sorted order. The search is a
breadth-first search from all defaulted parties at once, one vectorised step per hop:
sources in id order, neighbours in id order, a node reached first keeps its path. That is
the order in which the earlier networkx ``multi_source_dijkstra`` over the same graph met
them, so the same data gives the same evidence path on every run and backend. Only the
paths of the parties alerted are walked in Python; the edges drawn on them are read back
from the store in one batch (the smallest identity among the edges joining two steps).
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise

import numpy as np
import scipy.sparse as sp

from graph.model import PARTY_LABELS, Edge, RelType
from portfolio.alerts import SubjectKind
from risk.alerts.lifecycle import AlertDraft
from risk.rules.context import EvaluationContext
from risk.rules.delinquency import DelinquencySource
from risk.rules.evidence import Evidence
from risk.rules.inputs import RuleInputs, text_array
from risk.rules.schema import RelatedDefault

__all__ = ["breadth_first", "evaluate_related_default"]

_PARTIES = frozenset(label.value for label in PARTY_LABELS)


def _ends(inputs: RuleInputs, rel_type: RelType) -> tuple[np.ndarray, np.ndarray]:
    """Both ends of every edge of ``rel_type`` (:func:`text_array` of ids)."""
    if rel_type is RelType.BORROWS:
        projection = inputs.projection
        edges = projection.borrows.tocoo()
        return (text_array(projection.party_ids[edges.row]),
                text_array(projection.loan_ids[edges.col]))
    if rel_type is RelType.GUARANTEES:
        projection = inputs.projection
        return (text_array(projection.party_ids[projection.guarantee_party]),
                text_array(projection.loan_ids[projection.guarantee_loan]))
    if rel_type is RelType.OWNS:
        ownership = inputs.ownership
        ids = text_array(ownership.ids)
        return ids[ownership.holders], ids[ownership.held]
    edges = inputs.edges(rel_type)
    return edges.source, edges.target


def breadth_first(adjacency: sp.csr_matrix, sources: np.ndarray,
                  hops: int) -> tuple[np.ndarray, np.ndarray]:
    """Multi-source breadth-first search, vectorised per hop.

    ``adjacency``: symmetric CSR with sorted indices; ``sources``: node indices in the order
    they are searched from. Returns ``(distance, parent)`` per node: -1 where not reached
    within ``hops``; a node's parent is the first node of the previous hop, in search
    order, that neighbours it (the sources have distance 0 and parent -1). Each hop costs
    O(edges of the frontier).
    """
    n = adjacency.shape[0]
    distance = np.full(n, -1, dtype=np.int64)
    parent = np.full(n, -1, dtype=np.int64)
    frontier = np.asarray(sources, dtype=np.int64)
    distance[frontier] = 0
    for hop in range(1, hops + 1):
        if not len(frontier):
            break
        starts = adjacency.indptr[frontier]
        counts = adjacency.indptr[frontier + 1] - starts
        owner = np.repeat(np.arange(len(frontier)), counts)
        offset = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
        neighbour = adjacency.indices[np.repeat(starts, counts) + offset].astype(np.int64)
        new = distance[neighbour] < 0
        owner, neighbour = owner[new], neighbour[new]
        # The first occurrence in (frontier order, neighbour order) discovers a node.
        found, first = np.unique(neighbour, return_index=True)
        order = np.argsort(first, kind="stable")
        discovered = found[order]
        distance[discovered] = hop
        parent[discovered] = frontier[owner[first[order]]]
        frontier = discovered
    return distance, parent


def evaluate_related_default(rule: RelatedDefault, ctx: EvaluationContext,
                             source: DelinquencySource) -> list[AlertDraft]:
    """One alert per party near a default, with the path that links them."""
    via = [RelType(name) for name in rule.via]
    sides = [_ends(ctx.inputs, rel_type) for rel_type in via]
    a = np.concatenate([side[0] for side in sides])
    b = np.concatenate([side[1] for side in sides])
    if not len(a):
        return []
    ids, index = np.unique(np.concatenate((a, b)), return_inverse=True)
    u, v = index[:len(a)], index[len(a):]
    loops = u == v
    u, v = u[~loops], v[~loops]
    n = len(ids)
    adjacency = sp.csr_matrix((np.ones(2 * len(u), dtype=np.int8),
                               (np.concatenate((u, v)), np.concatenate((v, u)))), shape=(n, n))
    adjacency.sum_duplicates()  # canonical: sorted indices, each neighbour once
    defaulted = text_array(sorted(set(source.defaulted_parties(ctx.as_of))))
    at = np.minimum(np.searchsorted(ids, defaulted), n - 1) if len(defaulted) else \
        np.empty(0, dtype=np.int64)
    sources = at[ids[at] == defaulted] if len(defaulted) else at
    if not len(sources):
        return []
    distance, parent = breadth_first(adjacency, sources, rule.hops)
    reached = np.flatnonzero(distance > 0)
    labels = ctx.labels(ids[reached].tolist())
    alerted = [int(i) for i in reached.tolist() if labels[str(ids[i])] in _PARTIES]
    paths: dict[int, list[str]] = {}
    for i in alerted:
        path = [i]
        while parent[path[-1]] >= 0:
            path.append(int(parent[path[-1]]))
        paths[i] = [str(ids[j]) for j in reversed(path)]
    steps = {(x, y) for path in paths.values() for x, y in pairwise(path)}
    joining = _joining_edges(ctx, sorted({x for x, _ in steps}), via, steps)
    labels = ctx.labels({node for path in paths.values() for node in path})
    drafts = []
    for i in sorted(alerted, key=lambda j: str(ids[j])):
        path = paths[i]
        evidence = Evidence()
        types = []
        for node_id in path:
            evidence.node(node_id, labels[node_id])
        for x, y in pairwise(path):
            rel, src, dst, key = joining[(x, y)]
            evidence.edge(rel, src, dst, key)
            types.append(rel)
        signal = {"signal": rule.signal, "defaulted_party": path[0],
                  "hops": int(distance[i]), "max_hops": rule.hops, "via": types}
        drafts.append(ctx.draft(rule, SubjectKind.PARTY, path[-1], [signal], evidence))
    return drafts


def _joining_edges(ctx: EvaluationContext, nodes: Sequence[str], via: Sequence[RelType],
                   steps: set[tuple[str, str]]) -> dict[tuple[str, str], tuple[str, ...]]:
    """For each step ``(x, y)``, the smallest identity (type, source, target, key) among
    the edges of ``via`` joining x and y in either direction: one store read for all."""
    found: dict[tuple[str, str], tuple[str, ...]] = {}
    incident: list[list[Edge]] = ctx.graph.edges_of(list(nodes), via) if nodes else []
    for x, edges in zip(nodes, incident, strict=True):
        for edge in edges:
            y = edge.target if edge.source == x else edge.source
            if (x, y) in steps:
                identity = edge.identity
                if (x, y) not in found or identity < found[(x, y)]:
                    found[(x, y)] = identity
    return found
