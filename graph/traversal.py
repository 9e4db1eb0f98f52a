"""Breadth-first traversals shared by every graph backend.

The backends differ in how they fetch one hop (SQL for the embedded store, Cypher for
Neo4j); the walk itself is written once here so that both give the same answer. Each
function takes the fetchers as arguments and holds no state. (Neo4j answers a whole
neighbourhood in one query instead, with the same semantics: see
:func:`graph.stores.neo4j_cypher.neighbourhood_query`; a test compares the two.)

A walk can be stopped from outside: before each hop it calls the function held in
:data:`traversal_checkpoint` (when one is set in the calling context), which raises to end
the walk. The API sets it for a request whose client went away or whose time is up, so a
walk in a worker thread stops at the next hop instead of running to the end.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Collection, Iterable, Sequence
from contextvars import ContextVar

import networkx as nx

from graph.model import Edge, Label, RelType

__all__ = [
    "IncidentFetcher",
    "LabelFetcher",
    "checkpoint",
    "expand_neighbourhood",
    "find_shortest_paths",
    "traversal_checkpoint",
]

#: Given node ids and relationship types (``None``: all), every edge touching those ids.
IncidentFetcher = Callable[[Sequence[str], Collection[RelType] | None], list[Edge]]
#: Given node ids, the label of each that exists.
LabelFetcher = Callable[[Collection[str]], dict[str, Label]]

#: Stop enumerating shortest paths past this many (they can grow exponentially).
MAX_ENUMERATED_PATHS = 10_000
#: Paths enumerated between two calls of the checkpoint.
_PATHS_PER_CHECKPOINT = 256

#: Called before every hop of a walk (and now and then while paths are enumerated); it
#: raises to stop the walk. ``None``: walks run to the end. ``asyncio.to_thread`` copies
#: the caller's context, so a value set around the call reaches the worker thread.
traversal_checkpoint: ContextVar[Callable[[], None] | None] = ContextVar(
    "traversal_checkpoint", default=None
)


def checkpoint() -> None:
    """Call the :data:`traversal_checkpoint` of the calling context, if one is set (a
    walk made of one query calls it once, before the query)."""
    check = traversal_checkpoint.get()
    if check is not None:
        check()


def _neighbours(edges: Iterable[Edge], frontier: set[str]) -> set[str]:
    found: set[str] = set()
    for edge in edges:
        if edge.source in frontier:
            found.add(edge.target)
        if edge.target in frontier:
            found.add(edge.source)
    return found


def expand_neighbourhood(
    center: str,
    hops: int,
    limit: int,
    *,
    types: Collection[RelType] | None,
    labels: Collection[Label] | None,
    fetch_incident: IncidentFetcher,
    fetch_labels: LabelFetcher,
) -> tuple[list[str], bool]:
    """Ids within ``hops`` of ``center``, in (hop, id) order, and whether ``limit`` cut it.

    One ``fetch_incident`` call per hop, plus one ``fetch_labels`` call per hop when
    ``labels`` is given. Complexity: O(sum of the degrees of the nodes visited).

    Raises:
        Exception: whatever the :data:`traversal_checkpoint` raises before a hop.
    """
    order = [center]
    visited = {center}
    frontier = [center]
    allowed = None if labels is None else frozenset(labels)
    for _ in range(hops):
        if not frontier:
            break
        checkpoint()
        candidates = _neighbours(fetch_incident(frontier, types), set(frontier)) - visited
        if allowed is not None and candidates:
            found = fetch_labels(candidates)
            candidates = {c for c in candidates if found.get(c) in allowed}
        new = sorted(candidates)
        room = limit - len(order)
        if len(new) > room:
            order.extend(new[:room])
            return order, True
        order.extend(new)
        visited.update(new)
        frontier = new
    return order, False


def find_shortest_paths(
    source: str,
    target: str,
    max_hops: int,
    *,
    types: Collection[RelType] | None,
    fetch_incident: IncidentFetcher,
) -> list[tuple[list[str], list[Edge]]]:
    """Every shortest undirected path from ``source`` to ``target`` of at most ``max_hops``.

    Bidirectional breadth-first search: the smaller frontier grows one hop at a time until
    the two balls meet. All edges of any shortest path are then among the edges fetched
    (a node of such a path is within the fetched radius of one end or the other), so the
    paths are enumerated with networkx on that small subgraph. Between two nodes joined by
    parallel edges, the edge with the smallest identity is used.

    Returns pairs ``(node ids, edges)`` sorted by node ids. Complexity: O(edges within
    about half the distance of each end), instead of the full radius from one end.

    Raises:
        Exception: whatever the :data:`traversal_checkpoint` raises before a hop.
    """
    if source == target:
        return [([source], [])]
    dist = ({source: 0}, {target: 0})
    frontiers = ([source], [target])
    radius = [0, 0]
    fetched: dict[tuple[str, str, str, str], Edge] = {}
    best: int | None = None
    while radius[0] + radius[1] < max_hops:
        checkpoint()
        side = 0 if len(frontiers[0]) <= len(frontiers[1]) else 1
        frontier = frontiers[side]
        edges = fetch_incident(frontier, types)
        for edge in edges:
            fetched.setdefault(edge.identity, edge)
        known = dist[side]
        radius[side] += 1
        new = sorted(_neighbours(edges, set(frontier)) - known.keys())
        for node in new:
            known[node] = radius[side]
        frontiers = (new, frontiers[1]) if side == 0 else (frontiers[0], new)
        meeting = [n for n in new if n in dist[1 - side]]
        if meeting:
            best = min(dist[0][n] + dist[1][n] for n in meeting)
            break
        if not new:
            return []
    if best is None or best > max_hops:
        return []

    chosen: dict[frozenset[str], Edge] = {}
    for edge in fetched.values():
        if edge.source == edge.target:
            continue
        pair = frozenset((edge.source, edge.target))
        if pair not in chosen or edge.identity < chosen[pair].identity:
            chosen[pair] = edge
    graph = nx.Graph()
    graph.add_edges_from(tuple(pair) for pair in chosen)
    paths: list[list[str]] = []
    for path in nx.all_shortest_paths(graph, source, target):
        if len(paths) % _PATHS_PER_CHECKPOINT == 0:
            checkpoint()
        paths.append(path)
        if len(paths) >= MAX_ENUMERATED_PATHS:
            break
    paths.sort()
    return [
        (path, [chosen[frozenset((a, b))] for a, b in itertools.pairwise(path)])
        for path in paths
    ]
