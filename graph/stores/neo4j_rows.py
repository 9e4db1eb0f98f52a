"""What the Neo4j store's statements return, turned into the graph model's objects: the
same for the synchronous store (:mod:`graph.stores.neo4j`) and the walks read on an event
loop (:mod:`graph.stores.neo4j_loop`)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Final

from graph.model import Edge, Label, Node
from graph.store import sorted_edges
from graph.walks import Hop, Walked

__all__ = ["EDGE_INTERNALS", "LABEL_BY_NAME", "NODE_INTERNALS", "clean", "walked_from"]

#: Properties the store keeps on nodes and edges for itself; never returned to callers.
NODE_INTERNALS: Final = ("id", "label", "search_text", "name_tokens", "exact_tokens")
EDGE_INTERNALS: Final = ("key",)
LABEL_BY_NAME: Final = {label.value: label for label in Label}

#: ``open(node_id, label, stored properties)``: the node, its personal values opened.
OpenNode = Callable[[str, Label, Any], Node]


def clean(props: dict[str, Any], internals: Sequence[str] = NODE_INTERNALS) -> dict[str, Any]:
    """``props`` without the store's own properties (a node's by default)."""
    return {k: v for k, v in props.items() if k not in internals}


def walked_from(start: Sequence[str], hops: Sequence[Hop], found: Sequence[Any],
                opened: OpenNode) -> Walked:
    """The :class:`Walked` of the walk ``hops`` from ``start``, from the ``found`` column
    of :func:`graph.stores.neo4j_cypher.walk_query`'s record."""
    walked = Walked(nodes=dict.fromkeys(start))
    nodes = walked.nodes

    def take(near: str, level: Sequence[Hop], rows_by_hop: Sequence[Any]) -> None:
        for hop, rows in zip(level, rows_by_hop, strict=True):
            edges: dict[tuple[str, str, str, str], Edge] = {}
            for key, props, far, label, far_props, further in rows:
                source, target = (near, far) if hop.direction == "out" else (far, near)
                edge = Edge(hop.type, source, target, key or "", clean(props, EDGE_INTERNALS))
                edges.setdefault(edge.identity, edge)
                if label is not None and nodes.get(far) is None:
                    nodes[far] = opened(far, LABEL_BY_NAME[label], far_props)
                take(far, hop.then, further)
            walked.edges[(near, hop.type, hop.direction)] = sorted_edges(edges.values())

    for node_id, label, props, rows_by_hop in found:
        nodes[node_id] = opened(node_id, LABEL_BY_NAME[label], props)
        take(node_id, hops, rows_by_hop)
    return walked
