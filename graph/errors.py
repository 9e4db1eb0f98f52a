"""Errors of the graph layer."""

from __future__ import annotations

from loanwatch.errors import LoanwatchError

__all__ = ["GraphError", "InvalidGraphElement", "NodeNotFound"]


class GraphError(LoanwatchError):
    """Base class of graph-store errors."""


class NodeNotFound(GraphError):
    """A node named by id does not exist."""

    def __init__(self, node_id: str) -> None:
        super().__init__(
            f"no node with id {node_id!r}", suggestion="check the id, or search by name"
        )
        self.node_id = node_id


class InvalidGraphElement(GraphError):
    """A node or edge breaks the graph model (unknown label, wrong endpoints, bad property)."""
