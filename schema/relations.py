"""The credit relations resolvers walk, through the per-request loaders.

Each function answers for one node but batches with every other call made in the same
event-loop turn (see :mod:`schema.loaders`). Results are sorted by edge identity, or by
id for nodes, so responses are deterministic.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

from graph.errors import NodeNotFound
from graph.model import PARTY_LABELS, Edge, Label, Node, RelType
from graph.store import Direction
from schema.context import Context
from schema.errors import UnexpectedLabel
from schema.loaders import EdgeKey

__all__ = [
    "borrowers_of",
    "edges",
    "guarantees_given",
    "guarantees_on",
    "guarantees_received",
    "guarantors_of",
    "loan_or_raise",
    "loans_of",
    "node_or_raise",
    "nodes",
    "party_or_raise",
    "shared_identifiers",
]

_BORROWS: Final = frozenset({RelType.BORROWS})
_GUARANTEES: Final = frozenset({RelType.GUARANTEES})
_USES: Final = frozenset({RelType.USES})


async def _nodes(context: Context, ids: Iterable[str]) -> list[Node]:
    found = await context.loaders.nodes.load_many(list(ids))
    return [node for node in found if node is not None]


async def nodes(context: Context, ids: Iterable[str]) -> list[Node]:
    """The nodes of ``ids`` that exist, in the order asked (each id once)."""
    return await _nodes(context, dict.fromkeys(ids))


async def edges(context: Context, node_id: str, types: frozenset[RelType],
                direction: Direction) -> list[Edge]:
    """``node_id``'s edges of ``types`` in ``direction``, sorted by identity."""
    return await context.loaders.edges.load(EdgeKey(node_id, types, direction))


async def node_or_raise(context: Context, node_id: str) -> Node:
    """The node ``node_id``.

    Raises:
        NodeNotFound: no such node.
    """
    node = await context.loaders.nodes.load(node_id)
    if node is None:
        raise NodeNotFound(node_id)
    return node


async def party_or_raise(context: Context, node_id: str) -> Node:
    """The Person or Company ``node_id``.

    Raises:
        NodeNotFound: no such node.
        UnexpectedLabel: the node is, for example, a Loan.
    """
    node = await node_or_raise(context, node_id)
    if node.label not in PARTY_LABELS:
        raise UnexpectedLabel(node_id, node.label.value, "Person or Company")
    return node


async def loan_or_raise(context: Context, node_id: str) -> Node:
    """The Loan ``node_id``.

    Raises:
        NodeNotFound: no such node.
        UnexpectedLabel: the node is, for example, a Company.
    """
    node = await node_or_raise(context, node_id)
    if node.label is not Label.LOAN:
        raise UnexpectedLabel(node_id, node.label.value, Label.LOAN.value)
    return node


async def loans_of(context: Context, party_id: str) -> list[Node]:
    """The loans ``party_id`` borrows (its outgoing BORROWS edges)."""
    edges = await context.loaders.edges.load(EdgeKey(party_id, _BORROWS, "out"))
    return await _nodes(context, (edge.target for edge in edges))


async def borrowers_of(context: Context, loan_id: str) -> list[Node]:
    """The parties that borrow ``loan_id`` (its incoming BORROWS edges)."""
    edges = await context.loaders.edges.load(EdgeKey(loan_id, _BORROWS, "in"))
    return await _nodes(context, (edge.source for edge in edges))


async def guarantees_given(context: Context, party_id: str) -> list[Edge]:
    """The guarantees ``party_id`` has given (its outgoing GUARANTEES edges)."""
    return await context.loaders.edges.load(EdgeKey(party_id, _GUARANTEES, "out"))


async def guarantees_on(context: Context, loan_id: str) -> list[Edge]:
    """The guarantees securing ``loan_id`` (its incoming GUARANTEES edges)."""
    return await context.loaders.edges.load(EdgeKey(loan_id, _GUARANTEES, "in"))


async def guarantors_of(context: Context, party_id: str) -> list[Node]:
    """The distinct parties that guarantee any loan ``party_id`` borrows, sorted by id."""
    loans = await context.loaders.edges.load(EdgeKey(party_id, _BORROWS, "out"))
    per_loan = await context.loaders.edges.load_many(
        [EdgeKey(edge.target, _GUARANTEES, "in") for edge in loans]
    )
    ids = sorted({edge.source for edges in per_loan for edge in edges})
    return await _nodes(context, ids)


async def guarantees_received(context: Context, party_id: str) -> list[Edge]:
    """The guarantees on the loans ``party_id`` borrows, by loan then by identity."""
    loans = await context.loaders.edges.load(EdgeKey(party_id, _BORROWS, "out"))
    per_loan = await context.loaders.edges.load_many(
        [EdgeKey(edge.target, _GUARANTEES, "in") for edge in loans]
    )
    return [edge for edges in per_loan for edge in edges]


async def shared_identifiers(context: Context, party_id: str) -> list[Node]:
    """The identifiers ``party_id`` uses that another party uses too, sorted by id."""
    used = await context.loaders.edges.load(EdgeKey(party_id, _USES, "out"))
    users = await context.loaders.edges.load_many(
        [EdgeKey(edge.target, _USES, "in") for edge in used]
    )
    shared = sorted({edge.target for edge, others in zip(used, users, strict=True)
                     if any(other.source != party_id for other in others)})
    return await _nodes(context, shared)
