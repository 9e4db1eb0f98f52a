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
    #: Whether the caller may read personal data unmasked (see :mod:`graph.personal_data`).
    #: No caller may until OAuth roles decide it per request.
    personal_data_visible: bool = False


def build_context(graph: GraphStore, control: QueryControl | None = None, *,
                  personal_data_visible: bool = False) -> Context:
    """A fresh context over ``graph``, with empty loaders.

    Args:
        control: the request's stop switch and gate (default: no time limit, no gate).
        personal_data_visible: serve personal properties unmasked.
    """
    return Context(graph=graph, loaders=create_loaders(graph),
                   control=control if control is not None else QueryControl(),
                   personal_data_visible=personal_data_visible)


Info = strawberry.Info[Context, None]
