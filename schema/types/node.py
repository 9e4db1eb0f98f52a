"""Relay's ``Node`` interface: every object with an id implements it.

``Node.id`` is the object's global id (:mod:`schema.global_ids`): the source system's id
for a node of the graph, ``Type:key`` for anything else. ``Query.node(id:)`` and
``Query.nodes(ids:)`` read any object back by it (:mod:`schema.node_lookup`).
"""

from __future__ import annotations

import strawberry

__all__ = ["Node"]


@strawberry.interface(description="An object with a global id: `node(id:)` and `nodes(ids:)` "
                      "read it back, and Relay and Apollo clients cache it by that id. For a "
                      "node of the graph (party, loan, account, collateral, event, identifier) "
                      "the id is the source system's; for other objects it is `Type:key` "
                      "(`Alert:17`, `Installment:L1/3`). Treat ids as opaque strings.")
class Node:
    id: strawberry.ID = strawberry.field(
        description="The global id: unique across the schema, stable across requests.")
