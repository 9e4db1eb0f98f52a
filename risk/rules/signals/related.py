"""``related_default``: a party within ``hops`` steps of a party in default.

The graph of the rule's ``via`` relationship types is walked without regard to direction
from every defaulted party (the :class:`risk.rules.delinquency.DelinquencySource` names
them); each person or company reached within ``hops`` edges, not itself in default, is
alerted with the shortest path to the nearest defaulted party. A
guarantee is two steps: guarantor → GUARANTEES → loan ← BORROWS ← borrower. Relationships
carry no dates yet: they are taken as they stand.
"""

from __future__ import annotations

from itertools import pairwise

import networkx as nx

from graph.model import PARTY_LABELS, RelType
from portfolio.alerts import SubjectKind
from risk.alerts.lifecycle import AlertDraft
from risk.rules.context import EvaluationContext
from risk.rules.delinquency import DelinquencySource
from risk.rules.evidence import Evidence
from risk.rules.schema import RelatedDefault

__all__ = ["evaluate_related_default"]

_PARTIES = frozenset(label.value for label in PARTY_LABELS)


def evaluate_related_default(rule: RelatedDefault, ctx: EvaluationContext,
                             source: DelinquencySource) -> list[AlertDraft]:
    """One alert per party near a default, with the path that links them."""
    graph = ctx.projection([RelType(via) for via in rule.via])
    defaulted = sorted(set(source.defaulted_parties(ctx.as_of)) & set(graph.nodes))
    if not defaulted:
        return []
    # Built in sorted order: among paths of equal length, Dijkstra keeps the one it meets
    # first, so the same data gives the same evidence path on every run and backend.
    undirected = nx.Graph()
    undirected.add_nodes_from(sorted(graph.nodes))
    undirected.add_edges_from(sorted((min(a, b), max(a, b)) for a, b in graph.edges()))
    distance, paths = nx.multi_source_dijkstra(undirected, defaulted, cutoff=rule.hops)
    drafts = []
    blocked = set(defaulted)
    for party_id in sorted(distance):
        if party_id in blocked or graph.nodes[party_id].get("label") not in _PARTIES:
            continue
        path = paths[party_id]
        evidence = Evidence()
        types = []
        for node_id in path:
            evidence.node(node_id, graph.nodes[node_id]["label"])
        for a, b in pairwise(path):
            rel, src, dst, key = _edge_between(graph, a, b)
            evidence.edge(rel, src, dst, key)
            types.append(rel)
        signal = {"signal": rule.signal, "defaulted_party": path[0],
                  "hops": int(distance[party_id]), "max_hops": rule.hops, "via": types}
        drafts.append(ctx.draft(rule, SubjectKind.PARTY, party_id, [signal], evidence))
    return drafts


def _edge_between(graph: nx.MultiDiGraph, a: str, b: str) -> tuple[str, str, str, str]:
    """The smallest identity (type, source, target, key) among the edges joining a and b."""
    found = [(str(data["type"]), a, b, str(key))
             for key, data in (graph.get_edge_data(a, b) or {}).items()]
    found += [(str(data["type"]), b, a, str(key))
              for key, data in (graph.get_edge_data(b, a) or {}).items()]
    return min(found)
