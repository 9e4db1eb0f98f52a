"""The graph model: node labels, relationship types, and the values that carry them.

Every node has a stable external ``id`` that is unique across the whole graph (the source
system's id, for example ``P000123`` or ``LN-2024-0042``) and one label. Every edge is
identified by ``(type, source, target, key)``; ``key`` separates parallel edges of one type,
such as monthly ``TRANSFERS`` aggregates (``key="2025-03"``) or ``RELATED`` kinds. Upserts on
these identities are idempotent.

Property values are flat: strings, integers, floats and booleans. That is what both backends
store natively (Neo4j allows no nested maps on properties).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Final

from graph.errors import InvalidGraphElement

__all__ = [
    "ENDPOINTS",
    "PARTY_LABELS",
    "Edge",
    "Label",
    "Node",
    "Path",
    "PropertyValue",
    "RelType",
    "Subgraph",
    "validate_edge",
    "validate_node",
]

PropertyValue = str | int | float | bool


class Label(StrEnum):
    PERSON = "Person"
    COMPANY = "Company"
    LOAN = "Loan"
    ACCOUNT = "Account"
    COLLATERAL = "Collateral"
    PHONE = "Phone"
    ADDRESS = "Address"
    DEVICE = "Device"
    EXTERNAL_EVENT = "ExternalEvent"


class RelType(StrEnum):
    BORROWS = "BORROWS"
    GUARANTEES = "GUARANTEES"
    OWNS = "OWNS"
    DIRECTS = "DIRECTS"
    CONTROLS = "CONTROLS"
    TRANSFERS = "TRANSFERS"
    HOLDS = "HOLDS"
    USES = "USES"
    SECURED_BY = "SECURED_BY"
    MENTIONED_IN = "MENTIONED_IN"
    RELATED = "RELATED"


PARTY_LABELS: Final = frozenset({Label.PERSON, Label.COMPANY})
_IDENTIFIERS: Final = frozenset({Label.PHONE, Label.ADDRESS, Label.DEVICE})

#: For each relationship type, the labels allowed at its source and at its target.
ENDPOINTS: Final[dict[RelType, tuple[frozenset[Label], frozenset[Label]]]] = {
    RelType.BORROWS: (PARTY_LABELS, frozenset({Label.LOAN})),
    RelType.GUARANTEES: (PARTY_LABELS, frozenset({Label.LOAN})),
    RelType.OWNS: (PARTY_LABELS, frozenset({Label.COMPANY})),
    RelType.DIRECTS: (frozenset({Label.PERSON}), frozenset({Label.COMPANY})),
    RelType.CONTROLS: (PARTY_LABELS, frozenset({Label.COMPANY})),
    RelType.TRANSFERS: (frozenset({Label.ACCOUNT}), frozenset({Label.ACCOUNT})),
    RelType.HOLDS: (PARTY_LABELS, frozenset({Label.ACCOUNT})),
    RelType.USES: (PARTY_LABELS, _IDENTIFIERS),
    RelType.SECURED_BY: (frozenset({Label.LOAN}), frozenset({Label.COLLATERAL})),
    RelType.MENTIONED_IN: (PARTY_LABELS, frozenset({Label.EXTERNAL_EVENT})),
    RelType.RELATED: (PARTY_LABELS, PARTY_LABELS),
}

MAX_ID_LENGTH: Final = 128
#: Property names the stores use themselves.
RESERVED_PROPERTIES: Final = frozenset(
    {"id", "label", "type", "source", "target", "key", "search_text", "name_tokens",
     "exact_tokens"}
)


@dataclass(frozen=True, slots=True)
class Node:
    """A node: its external id, its label and its flat properties (``name`` among them)."""

    id: str
    label: Label
    props: dict[str, PropertyValue] = field(default_factory=dict, hash=False, compare=True)

    @property
    def name(self) -> str | None:
        value = self.props.get("name")
        return None if value is None else str(value)

    @property
    def search_text(self) -> str:
        """What a party search matches against: the name and the id, lower-cased."""
        return f"{self.name or ''} {self.id}".lower()


@dataclass(frozen=True, slots=True)
class Edge:
    """A directed edge ``source -[type]-> target``; ``key`` separates parallel edges."""

    type: RelType
    source: str
    target: str
    key: str = ""
    props: dict[str, PropertyValue] = field(default_factory=dict, hash=False, compare=True)

    @property
    def identity(self) -> tuple[str, str, str, str]:
        return (self.type.value, self.source, self.target, self.key)


@dataclass(frozen=True, slots=True)
class Subgraph:
    """Nodes and the edges among them, as returned by a neighbourhood query.

    ``truncated`` is true when the size limit stopped the expansion early.
    """

    nodes: list[Node]
    edges: list[Edge]
    truncated: bool = False


@dataclass(frozen=True, slots=True)
class Path:
    """A path between two nodes: ``nodes[i]`` and ``nodes[i + 1]`` are joined by ``edges[i]``."""

    nodes: list[Node]
    edges: list[Edge]

    @property
    def length(self) -> int:
        return len(self.edges)


_STORED_TYPES: Final = frozenset({str, int, float, bool})


def _props_problem(props: dict[str, object]) -> str | None:
    """What is wrong with ``props``, or ``None``. Runs once per element on bulk import,
    so the common case is one set membership test per property."""
    for name, value in props.items():
        if type(value) in _STORED_TYPES and name not in RESERVED_PROPERTIES and (
            type(name) is str and name and name[0] != "_"
        ):
            continue
        if not isinstance(name, str) or not name or name.startswith("_"):
            return f"property name {name!r} must be a non-empty string that does not start with '_'"
        if name in RESERVED_PROPERTIES:
            return f"property name {name!r} is reserved"
        if not isinstance(value, str | int | float | bool):
            return (f"property {name!r} has type {type(value).__name__}; "
                    "only str, int, float and bool are stored")
    return None


def _id_problem(value: object) -> str | None:
    if type(value) is not str or not value.strip():
        return f"id must be a non-empty string, got {value!r}"
    if len(value) > MAX_ID_LENGTH:
        return f"id is longer than {MAX_ID_LENGTH} characters"
    return None


def validate_node(node: Node) -> None:
    """Raise :class:`InvalidGraphElement` when ``node`` breaks the model."""
    problem = _id_problem(node.id)
    if problem is not None:
        raise InvalidGraphElement(f"node: {problem}")
    if not isinstance(node.label, Label):
        raise InvalidGraphElement(f"node {node.id!r}: unknown label {node.label!r}")
    problem = _props_problem(node.props)
    if problem is not None:
        raise InvalidGraphElement(f"node {node.id!r}: {problem}")


def validate_edge(edge: Edge, source_label: Label | None = None,
                  target_label: Label | None = None) -> None:
    """Raise :class:`InvalidGraphElement` when ``edge`` breaks the model.

    When the endpoint labels are given, they are checked against :data:`ENDPOINTS`.
    """
    if not isinstance(edge.type, RelType):
        raise InvalidGraphElement(
            f"edge {edge.source!r}->{edge.target!r}: unknown type {edge.type!r}"
        )
    where = f"{edge.type.value} edge {edge.source!r}->{edge.target!r}"
    for end, value in (("source", edge.source), ("target", edge.target)):
        problem = _id_problem(value)
        if problem is not None:
            raise InvalidGraphElement(f"{where} {end}: {problem}")
    if not isinstance(edge.key, str):
        raise InvalidGraphElement(f"{where}: key must be a string")
    problem = _props_problem(edge.props)
    if problem is not None:
        raise InvalidGraphElement(f"{where}: {problem}")
    sources, targets = ENDPOINTS[edge.type]
    if source_label is not None and source_label not in sources:
        raise InvalidGraphElement(
            f"{where}: a {edge.type.value} edge cannot start at a {source_label.value}; "
            f"allowed: {', '.join(sorted(sources))}"
        )
    if target_label is not None and target_label not in targets:
        raise InvalidGraphElement(
            f"{where}: a {edge.type.value} edge cannot end at a {target_label.value}; "
            f"allowed: {', '.join(sorted(targets))}"
        )
