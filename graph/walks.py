"""Walks: a tree of hops from some nodes, read at once, for a view that will read it anyway.

A borrower 360° view reads the party, its BORROWS edges, the loans at their ends, the
GUARANTEES edges of those loans and the guarantors at theirs: one batched read per level,
each a round trip to the store. When the whole tree is known before the first read (the
GraphQL selection names it), :meth:`graph.store.GraphStore.walk` reads it in one go: the
Neo4j store compiles it into one Cypher statement; any other store answers with the same
batched reads level by level (:func:`walk_level_by_level`).

What a walk answers is what those reads would have answered, exactly: each node as
:meth:`~graph.store.GraphStore.get_nodes` gives it, and each walked node's edges of one
type in one direction as :meth:`~graph.store.GraphStore.edges_of` gives them (sorted by
identity). A caller can hand them to its per-request caches (:mod:`schema.view_walks`).

Example::

    loans = Hop(RelType.BORROWS, "out", then=(Hop(RelType.GUARANTEES, "in"),))
    walked = store.walk(["C1"], (loans,))
    walked.edges[("C1", RelType.BORROWS, "out")]   # C1's loans, as edges
    walked.nodes["C1"]                             # C1 (None when there is no such node)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Final, Literal, Protocol

from graph.model import Edge, Node, RelType

if TYPE_CHECKING:
    from graph.store import GraphStore

__all__ = ["MAX_WALK_DEPTH", "MAX_WALK_HOPS", "Hop", "HopDirection", "IncidenceKey",
           "LoopWalker", "Walked", "check_walk", "walk_level_by_level"]

#: The deepest chain of hops a walk may hold (a deeper selection is read by the loaders).
MAX_WALK_DEPTH: Final = 6
#: The most hops a walk may hold in all (each is a nested expansion of the statement).
MAX_WALK_HOPS: Final = 40

HopDirection = Literal["out", "in"]
#: Where a walk's edges are kept: (node id, relationship type, direction from that node).
IncidenceKey = tuple[str, RelType, HopDirection]


@dataclass(frozen=True, slots=True)
class Hop:
    """From each node reached so far, its edges of ``type`` in ``direction`` ("out": the
    node is the source) and, when ``nodes``, the nodes at their other ends; from those ends,
    the hops ``then``. (A view that reads only the edges, a guarantee's share but not its
    loan, leaves ``nodes`` off: a hub's thousands of far nodes are then not read.)"""

    type: RelType
    direction: HopDirection
    then: tuple[Hop, ...] = ()
    nodes: bool = True

    def __post_init__(self) -> None:
        if self.direction not in ("out", "in"):
            raise ValueError(f"a hop goes 'out' or 'in', got {self.direction!r}")


@dataclass(frozen=True, slots=True)
class Walked:
    """What a walk read.

    ``nodes`` holds every start id (``None`` where there is no such node) and every node
    at the far end of an edge of a hop that reads its ``nodes``; ``edges`` holds, for each
    node a hop left from, its edges of the hop's type in the hop's direction, sorted by
    identity.
    """

    nodes: dict[str, Node | None] = field(default_factory=dict)
    edges: dict[IncidenceKey, list[Edge]] = field(default_factory=dict)


class LoopWalker(Protocol):
    """Walks read on an event loop, with no worker thread: what
    :meth:`graph.store.GraphStore.open_loop_walker` gives where the store has an asynchronous
    driver (Neo4j). Its connections belong to the loop it was opened on; close it there."""

    async def walk(self, ids: Sequence[str], hops: Sequence[Hop]) -> Walked:
        """As :meth:`graph.store.GraphStore.walk`, the same answer."""
        ...

    async def aclose(self) -> None:
        """Release the connections; the walker cannot be used afterwards."""
        ...


def check_walk(hops: Sequence[Hop]) -> None:
    """Return when ``hops`` is a walk a store accepts.

    Raises:
        ValueError: deeper than :data:`MAX_WALK_DEPTH` or more than :data:`MAX_WALK_HOPS`
            hops in all.
    """
    total = 0
    pending = [(hop, 1) for hop in hops]
    while pending:
        hop, depth = pending.pop()
        total += 1
        if depth > MAX_WALK_DEPTH:
            raise ValueError(f"a walk goes at most {MAX_WALK_DEPTH} hops deep")
        pending.extend((child, depth + 1) for child in hop.then)
    if total > MAX_WALK_HOPS:
        raise ValueError(f"a walk holds at most {MAX_WALK_HOPS} hops, got {total}")


def walk_level_by_level(store: GraphStore, ids: Sequence[str],
                        hops: Sequence[Hop]) -> Walked:
    """:meth:`GraphStore.walk` through the store's batched reads: the start nodes, then per
    level one :meth:`~GraphStore.edges_of` call for every hop of the level (the union of
    their types, in both directions when they differ, each hop's edges filtered from it, as
    the per-request loaders batch a wave) and one :meth:`~GraphStore.get_nodes` call for
    the nodes newly reached.

    Complexity: at most 1 + 2 × depth store calls.
    """
    check_walk(hops)
    start = list(dict.fromkeys(ids))
    walked = Walked(nodes=dict(zip(start, store.get_nodes(start), strict=True)))
    # Each level: which hops leave from which nodes (only nodes that exist).
    level: list[tuple[Hop, list[str]]] = [
        (hop, [i for i in start if walked.nodes[i] is not None]) for hop in hops]
    while level:
        _read_level(store, level, walked)
        reached = {_far(edge, hop.direction) for hop, sources in level if hop.nodes
                   for source in sources
                   for edge in walked.edges[(source, hop.type, hop.direction)]}
        new = sorted(reached.difference(walked.nodes))
        walked.nodes.update(zip(new, store.get_nodes(new), strict=True))
        level = [(child, [_far(edge, hop.direction) for source in sources
                          for edge in walked.edges[(source, hop.type, hop.direction)]])
                 for hop, sources in level for child in hop.then]
        level = [(hop, list(dict.fromkeys(sources))) for hop, sources in level if sources]
    return walked


def _read_level(store: GraphStore, level: list[tuple[Hop, list[str]]], walked: Walked
                ) -> None:
    """The edges of every (source, hop) of ``level`` not read yet, in one ``edges_of``."""
    wanted = {(source, hop.type, hop.direction) for hop, sources in level
              for source in sources} - walked.edges.keys()
    if not wanted:
        return
    sources = sorted({source for source, _, _ in wanted})
    types = {rel_type for _, rel_type, _ in wanted}
    directions = {direction for _, _, direction in wanted}
    direction = directions.pop() if len(directions) == 1 else "both"
    found = dict(zip(sources, store.edges_of(sources, types, direction), strict=True))
    for source, rel_type, way in wanted:
        end = "source" if way == "out" else "target"
        walked.edges[(source, rel_type, way)] = [
            edge for edge in found[source]
            if edge.type == rel_type and getattr(edge, end) == source]


def _far(edge: Edge, direction: HopDirection) -> str:
    """The end of ``edge`` a hop in ``direction`` arrives at."""
    return edge.target if direction == "out" else edge.source
