"""What every resolver receives as ``info.context``: the graph store and per-request loaders."""

from __future__ import annotations

from dataclasses import dataclass

import strawberry

from graph.store import GraphStore
from schema.loaders import Loaders, create_loaders

__all__ = ["Context", "Info", "build_context"]


@dataclass(frozen=True, slots=True)
class Context:
    """The context of one GraphQL request. Build a new one per request."""

    graph: GraphStore
    loaders: Loaders


def build_context(graph: GraphStore) -> Context:
    """A fresh context over ``graph``, with empty loaders."""
    return Context(graph=graph, loaders=create_loaders(graph))


Info = strawberry.Info[Context, None]
