"""Errors of the graph layer. A leaf: it imports only the error root."""

from __future__ import annotations

from loanwatch.errors import LoanwatchError

__all__ = [
    "GraphBackendError",
    "GraphError",
    "GraphSchemaMissing",
    "InvalidGraphElement",
    "NodeNotFound",
    "PersonalDataError",
    "PlaintextPersonalData",
    "TransientGraphError",
    "UndecryptableValue",
    "UnknownDataKey",
]


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


class GraphSchemaMissing(GraphError):
    """The store's tables (embedded) are not there: the database was never migrated."""


class GraphBackendError(GraphError):
    """The backend refused or failed an operation (a Neo4j client or database error, an SQL
    error of the embedded store). ``code`` is the backend's own code when it gives one
    (``Neo.ClientError.Database.DatabaseNotFound``)."""

    def __init__(self, message: str, *, code: str | None = None,
                 suggestion: str | None = None) -> None:
        super().__init__(message, suggestion=suggestion)
        self.code = code


class TransientGraphError(GraphBackendError):
    """A transient failure (a deadlock, a lock timeout, a leader switch) that went on after
    the backend's retries were spent. Trying again later may succeed."""


class PersonalDataError(GraphError):
    """Personal data could not be sealed or opened (see :mod:`graph.vault`)."""


class UnknownDataKey(PersonalDataError):
    """A value was sealed under a key version the configuration does not hold."""

    def __init__(self, kind: str, version: int, known: list[int], setting: str, *,
                 where: str = "") -> None:
        known_text = ", ".join(map(str, known)) or "none"
        place = f" ({where})" if where else ""
        super().__init__(
            f"a stored value{place} was encrypted under {kind} version {version}, which is "
            f"not configured (configured versions: {known_text})",
            suggestion=f"add version {version} to {setting} (keep every version until "
                       "`loanwatch keys rotate` has finished with it)",
        )
        self.version = version
        self.where = where


class UndecryptableValue(PersonalDataError):
    """A sealed value failed authentication: the configured key of its version is not the
    key it was sealed with, or the stored value was changed."""


class PlaintextPersonalData(PersonalDataError):
    """Personal data was found stored in clear: the store was written before encryption at
    rest and has not been upgraded."""
