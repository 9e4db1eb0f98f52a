"""Checks every backend applies to a batch of upserts before it writes anything.

A batch is all or nothing: these functions raise before the first write, so that a bad
element never leaves half a batch behind.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from graph.errors import InvalidGraphElement, NodeNotFound
from graph.model import ENDPOINTS, Edge, Label, Node, validate_edge, validate_node

__all__ = [
    "check_endpoints",
    "check_labels_unchanged",
    "check_renames",
    "merge_edges",
    "merge_nodes",
]


def merge_nodes(nodes: Iterable[Node]) -> dict[str, Node]:
    """Validate ``nodes`` and fold repeats of one id into one node (later values win).

    Raises:
        InvalidGraphElement: a node breaks the model, or one id comes with two labels.
    """
    latest: dict[str, Node] = {}
    for node in nodes:
        validate_node(node)
        earlier = latest.get(node.id)
        if earlier is None:
            latest[node.id] = node
            continue
        if earlier.label != node.label:
            raise InvalidGraphElement(
                f"node {node.id!r} given as both {earlier.label.value} and {node.label.value}"
            )
        latest[node.id] = Node(node.id, node.label, {**earlier.props, **node.props})
    return latest


def merge_edges(edges: Iterable[Edge]) -> dict[tuple[str, str, str, str], Edge]:
    """Validate ``edges`` and fold repeats of one identity into one edge (later values win)."""
    latest: dict[tuple[str, str, str, str], Edge] = {}
    for edge in edges:
        validate_edge(edge)
        identity = edge.identity
        earlier = latest.get(identity)
        latest[identity] = edge if earlier is None else Edge(
            edge.type, edge.source, edge.target, edge.key, {**earlier.props, **edge.props}
        )
    return latest


def endpoint_ids(edges: Iterable[Edge]) -> list[str]:
    """Every id at either end of ``edges``, once each, sorted."""
    ends: set[str] = set()
    for edge in edges:
        ends.add(edge.source)
        ends.add(edge.target)
    return sorted(ends)


def check_labels_unchanged(nodes: Mapping[str, Node], stored: Mapping[str, Label]) -> None:
    """Raise :class:`InvalidGraphElement` when a node would change its stored label."""
    for node_id, label in stored.items():
        if nodes[node_id].label != label:
            raise InvalidGraphElement(
                f"node {node_id!r} is a {label.value}; it cannot become a "
                f"{nodes[node_id].label.value}"
            )


def check_endpoints(edges: Iterable[Edge], labels: Mapping[str, Label]) -> None:
    """Raise when an edge's end is missing or has a label its type does not allow.

    Raises:
        NodeNotFound: an end is not in ``labels`` (it does not exist).
        InvalidGraphElement: an end's label is not allowed for the edge's type.
    """
    for edge in edges:
        source_label = labels.get(edge.source)
        target_label = labels.get(edge.target)
        if source_label is None:
            raise NodeNotFound(edge.source)
        if target_label is None:
            raise NodeNotFound(edge.target)
        sources, targets = ENDPOINTS[edge.type]
        if source_label not in sources or target_label not in targets:
            validate_edge(edge, source_label, target_label)  # raises with the full message


def check_renames(renames: Mapping[str, str], labels: Mapping[str, Label]) -> dict[str, str]:
    """The renames of ``renames`` whose old id exists (``labels`` holds the stored labels of
    the old and the new ids), checked as :meth:`GraphStore.rename_nodes` promises."""
    renames = {old: new for old, new in renames.items() if old != new}
    clash = set(renames) & set(renames.values())
    if clash:
        raise ValueError(f"ids both renamed and renamed to: {', '.join(sorted(clash)[:5])}")
    present = {}
    for old, new in renames.items():
        label = labels.get(old)
        if label is None:
            continue
        validate_node(Node(new, label))
        stored = labels.get(new)
        if stored is not None and stored != label:
            raise InvalidGraphElement(f"cannot rename {label.value} {old!r} to {new!r}: "
                                      f"that id is a {stored.value}")
        present[old] = new
    return present
