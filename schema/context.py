"""What every resolver receives as ``info.context``: the graph store, per-request loaders,
and the request's stop switch."""

from __future__ import annotations

from dataclasses import dataclass, field

import strawberry

from graph.store import GraphStore
from schema.control import QueryControl
from schema.loaders import Loaders, create_loaders

__all__ = ["Context", "Info", "build_context"]


@dataclass(frozen=True, slots=True)
class Context:
    """The context of one GraphQL request. Build a new one per request."""

    graph: GraphStore
    loaders: Loaders
    control: QueryControl = field(default_factory=QueryControl)


def build_context(graph: GraphStore, control: QueryControl | None = None) -> Context:
    """A fresh context over ``graph``, with empty loaders.

    Args:
        control: the request's stop switch and gate (default: no time limit, no gate).
    """
    return Context(graph=graph, loaders=create_loaders(graph),
                   control=control if control is not None else QueryControl())


Info = strawberry.Info[Context, None]
