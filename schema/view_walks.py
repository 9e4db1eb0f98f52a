"""A borrower 360° view in one store round trip: the walk its selection will make, read
first.

The resolvers of a party's loans, guarantees and guarantors each read through the
per-request loaders (:mod:`schema.loaders`), which batch the reads of one event-loop turn:
a view costs one round trip per wave (the party; its edges; the loans; their guarantees;
the guarantors...), five for the benchmark's borrower view. Against Neo4j each round trip
is a Bolt exchange and a query on the server, the larger part of the view's time.

Yet the waves are known before the first one: the GraphQL selection names them. So the
root field (``party(id:)``, ``loan(id:)``, and the pages ``searchParties`` and ``borrowers``
for their parties) turns its selection into a walk
(:class:`graph.walks.Hop` trees, by the tables below), the store reads the whole walk at
once (:meth:`graph.store.GraphStore.walk`: one Cypher statement on Neo4j), and the nodes
and edges read prime the loaders. The resolvers then run as before and find what they ask
for already loaded; whatever the walk did not cover (a field not in the tables, a
selection deeper than :data:`graph.walks.MAX_WALK_DEPTH`) they read through the loaders as
before. The answer is the same either way: a walk reads what ``get_nodes`` and
``edges_of`` would.

A store whose reads are in-process (:attr:`graph.store.GraphStore.reads_in_process`) has
no round trips to save: it is not walked, the loaders read it as before.

Example::

    await walk_selection(info, [party_id], "Party")
    node = await relations.party_or_raise(info.context, party_id)   # from the loaders
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final, Literal

from strawberry.types.nodes import FragmentSpread, InlineFragment, SelectedField, Selection

from graph.model import RelType
from graph.walks import MAX_WALK_DEPTH, MAX_WALK_HOPS, Hop, HopDirection
from schema.context import Info

__all__ = ["REACHES", "Kind", "Reach", "plan_walk", "selection_walk", "walk_selection"]

#: The object types whose fields the walk knows.
Kind = Literal["Party", "Loan"]
_Step = tuple[RelType, HopDirection]


@dataclass(frozen=True, slots=True)
class Reach:
    """What a field reads: the edges along ``path`` (each step a type and a direction,
    from the object's node), and the nodes at the last step's far ends when one of
    ``far``'s sub-fields is selected (``""``: the field's items are those nodes
    themselves), served as the kind it names (``None``: one the walk does not follow
    further)."""

    path: tuple[_Step, ...]
    far: Mapping[str, Kind | None]


_B, _G, _O, _D, _C = (RelType.BORROWS, RelType.GUARANTEES, RelType.OWNS, RelType.DIRECTS,
                      RelType.CONTROLS)

#: Per kind, the fields that read graph relations, as the resolvers of
#: :mod:`schema.types.party`, :mod:`schema.types.loan` and :mod:`schema.types.links` read
#: them (a field left out is simply read by the loaders).
REACHES: Final[Mapping[Kind, Mapping[str, Reach]]] = {
    "Party": {
        "loans": Reach(((_B, "out"),), {"": "Loan"}),
        "guarantees": Reach(((_G, "out"),), {"loan": "Loan"}),
        "guarantors": Reach(((_B, "out"), (_G, "in")), {"": "Party"}),
        "guaranteesReceived": Reach(((_B, "out"), (_G, "in")), {"guarantor": "Party"}),
        "owners": Reach(((_O, "in"),), {"owner": "Party"}),
        "holdings": Reach(((_O, "out"),), {"company": "Party"}),
        "directors": Reach(((_D, "in"),), {"person": "Party"}),
        "directorships": Reach(((_D, "out"),), {"company": "Party"}),
        "controllers": Reach(((_C, "in"),), {"controller": "Party"}),
        "controls": Reach(((_C, "out"),), {"company": "Party"}),
        "accounts": Reach(((RelType.HOLDS, "out"),), {"": None}),
        "identifiers": Reach(((RelType.USES, "out"),), {"": None}),
        "sharedIdentifiers": Reach(((RelType.USES, "out"), (RelType.USES, "in")), {}),
        "events": Reach(((RelType.MENTIONED_IN, "out"),), {"": None}),
    },
    "Loan": {
        "guarantees": Reach(((_G, "in"),), {"guarantor": "Party"}),
        "borrowers": Reach(((_B, "in"),), {"": "Party"}),
        "collateral": Reach(((RelType.SECURED_BY, "out"),), {"": None}),
    },
}

@dataclass(slots=True)
class _Branch:
    """A step of a walk being planned: whether its far nodes are read, and the steps that
    follow it."""

    nodes: bool = False
    below: dict[_Step, _Branch] = field(default_factory=dict)


def _fields(selections: Iterable[Selection]) -> Iterator[SelectedField]:
    """The fields of ``selections``, those of fragments included (whatever their type
    condition: a walk that reads a little more answers the same)."""
    for selection in selections:
        if isinstance(selection, SelectedField):
            yield selection
        elif isinstance(selection, FragmentSpread | InlineFragment):
            yield from _fields(selection.selections)


def _grow(tree: _Branch, selections: Iterable[Selection], kind: Kind, depth: int) -> None:
    """Add to ``tree`` the steps ``selections`` of an object of ``kind`` will read, the
    object's node being ``depth`` steps from the start."""
    reaches = REACHES[kind]
    for selected in _fields(selections):
        reach = reaches.get(selected.name)
        if reach is None or depth + len(reach.path) > MAX_WALK_DEPTH:
            continue
        branch = tree
        for step in reach.path:
            branch = branch.below.setdefault(step, _Branch())
        for name, far_kind in reach.far.items():
            below = (selected.selections if name == "" else
                     [s for f in _fields(selected.selections) if f.name == name
                      for s in f.selections])
            if name != "" and not below:
                continue  # the sub-field naming the far node is not selected
            branch.nodes = True
            if far_kind is not None:
                _grow(branch, below, far_kind, depth + len(reach.path))


def _hops(tree: _Branch) -> tuple[Hop, ...]:
    return tuple(Hop(rel_type, direction, _hops(branch), nodes=branch.nodes)
                 for (rel_type, direction), branch in tree.below.items())


def _size(hops: Sequence[Hop]) -> int:
    return sum(1 + _size(hop.then) for hop in hops)


def plan_walk(selections: Iterable[Selection], kind: Kind) -> tuple[Hop, ...]:
    """The walk ``selections`` of an object of ``kind`` will make; empty when it reads no
    relation the tables know, or would take more than :data:`graph.walks.MAX_WALK_HOPS`
    hops (the loaders then read it wave by wave)."""
    tree = _Branch()
    _grow(tree, selections, kind, 0)
    hops = _hops(tree)
    return hops if _size(hops) <= MAX_WALK_HOPS else ()


def selection_walk(info: Info, kind: Kind, under: Sequence[str] = ()) -> tuple[Hop, ...]:
    """The walk the current field's selection will make from an object of ``kind``, that
    object's selection being below the sub-fields ``under`` (``("edges", "node")`` for a
    connection's items); empty when the store reads in process (module docstring)."""
    if info.context.graph.reads_in_process:
        return ()
    selections = [s for f in info.selected_fields for s in f.selections]
    for name in under:
        selections = [s for f in _fields(selections) if f.name == name for s in f.selections]
    return plan_walk(selections, kind)


async def walk_selection(info: Info, ids: Sequence[str], kind: Kind, *,
                         under: Sequence[str] = ()) -> None:
    """Read, in one store call, the nodes ``ids`` and the walk the current field's
    selection will make from them (served as ``kind``, below ``under``: see
    :func:`selection_walk`), into the request's loaders.

    Nothing is read when the store reads in process or the selection reads no relation;
    the resolvers then read through the loaders as before.
    """
    hops = selection_walk(info, kind, under)
    if hops and ids:
        await info.context.loaders.walk(ids, hops)
