"""Generic graph shapes: any node, any edge, a neighbourhood and a path.

These mirror :class:`graph.model.Subgraph` and :class:`graph.model.Path` for exploring
the graph without knowing its labels in advance (``neighbourhood``, ``shortestPaths``).
"""

from __future__ import annotations

import strawberry

from graph import model
from schema.context import Info
from schema.enums import Label, RelType, from_model_label, from_model_type
from schema.permissions import personal
from schema.types.properties import Property, list_properties, shown_value

__all__ = ["GraphEdge", "GraphNode", "Path", "Subgraph"]


@strawberry.type(description="A node of any label.")
class GraphNode:
    node: strawberry.Private[model.Node]

    @strawberry.field(description="The source system's id, unique across the graph.")
    def id(self) -> strawberry.ID:
        return strawberry.ID(self.node.id)

    @strawberry.field(description="What the node is.")
    def label(self) -> Label:
        return from_model_label(self.node.label)

    @strawberry.field(description="The node's name; a person's is masked unless the caller "
                      "may see personal data.", metadata=personal())
    def name(self, info: Info) -> str | None:
        return shown_value(self.node.label, "name", self.node.name,
                           personal_data_visible=info.context.personal_data_visible)

    @strawberry.field(description="Every stored property; personal data (see the README, "
                      "Personal data) masked or left out unless the caller may see it.",
                      metadata=personal())
    def properties(self, info: Info) -> list[Property]:
        return list_properties(self.node.props, self.node.label,
                               personal_data_visible=info.context.personal_data_visible)


@strawberry.type(description="A directed edge source -[type]-> target.")
class GraphEdge:
    edge: strawberry.Private[model.Edge]

    @strawberry.field(description="What the edge means.")
    def type(self) -> RelType:
        return from_model_type(self.edge.type)

    @strawberry.field(description="The id of the node it starts at.")
    def source(self) -> strawberry.ID:
        return strawberry.ID(self.edge.source)

    @strawberry.field(description="The id of the node it ends at.")
    def target(self) -> strawberry.ID:
        return strawberry.ID(self.edge.target)

    @strawberry.field(description="Separates parallel edges, e.g. the month of TRANSFERS.")
    def key(self) -> str:
        return self.edge.key

    @strawberry.field(description="Every stored property, amounts exact.")
    def properties(self) -> list[Property]:
        return list_properties(self.edge.props)


@strawberry.type(description="Nodes around a center and the edges among them.")
class Subgraph:
    nodes: list[GraphNode] = strawberry.field(description="The nodes, by hop distance then id.")
    edges: list[GraphEdge] = strawberry.field(description="The edges among them, by identity.")
    truncated: bool = strawberry.field(
        description="True when the node limit stopped the expansion early."
    )

    @classmethod
    def from_model(cls, subgraph: model.Subgraph) -> Subgraph:
        return cls(
            nodes=[GraphNode(node=node) for node in subgraph.nodes],
            edges=[GraphEdge(edge=edge) for edge in subgraph.edges],
            truncated=subgraph.truncated,
        )


@strawberry.type(description="A path: nodes[i] and nodes[i + 1] are joined by edges[i].")
class Path:
    nodes: list[GraphNode] = strawberry.field(description="The nodes of the path, in order.")
    edges: list[GraphEdge] = strawberry.field(description="The edges joining them, in order.")

    @strawberry.field(description="Number of edges.")
    def length(self) -> int:
        return len(self.edges)

    @classmethod
    def from_model(cls, path: model.Path) -> Path:
        return cls(
            nodes=[GraphNode(node=node) for node in path.nodes],
            edges=[GraphEdge(edge=edge) for edge in path.edges],
        )
