"""Split edge writes into groups that share no node, so they can commit concurrently.

Two Neo4j transactions that write edges at one node wait for each other's locks and, in
opposite orders, deadlock; the server then aborts one and the driver retries it after about
a second. Edges in groups with no node in common never meet.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

__all__ = ["node_disjoint_chunks"]


def _find(parent: dict[str, str], item: str) -> str:
    root = item
    while parent[root] != root:
        root = parent[root]
    while parent[item] != root:  # path compression
        parent[item], item = root, parent[item]
    return root


def node_disjoint_chunks(
    rows: Sequence[dict[str, Any]], parts: int
) -> list[list[dict[str, Any]]]:
    """At most ``parts`` lists of ``rows`` (each with ``source`` and ``target``), such that
    no node is an end of edges in two lists, balanced by row count.

    The rows' connected components (union-find over their ends) are dealt, largest first,
    to the list with the fewest rows; a component is never split, so one huge component
    yields one large list. Empty lists are left out.

    Complexity: O(n log n) for ``n`` rows (the sort of components), near-linear otherwise.
    """
    if parts < 1:
        raise ValueError(f"parts must be at least 1, got {parts}")
    parent: dict[str, str] = {}
    for row in rows:
        for end in (row["source"], row["target"]):
            parent.setdefault(end, end)
        a, b = _find(parent, row["source"]), _find(parent, row["target"])
        if a != b:
            parent[a] = b
    components: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        components.setdefault(_find(parent, row["source"]), []).append(row)
    chunks: list[list[dict[str, Any]]] = [[] for _ in range(parts)]
    for component in sorted(components.values(), key=len, reverse=True):
        min(chunks, key=len).extend(component)
    return [chunk for chunk in chunks if chunk]
