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
    #: Whether the caller may read personal data unmasked (see :mod:`graph.personal_data`).
    #: No caller may until OAuth roles decide it per request.
    personal_data_visible: bool = False


def build_context(graph: GraphStore, *, personal_data_visible: bool = False) -> Context:
    """A fresh context over ``graph``, with empty loaders."""
    return Context(graph=graph, loaders=create_loaders(graph),
                   personal_data_visible=personal_data_visible)


Info = strawberry.Info[Context, None]
