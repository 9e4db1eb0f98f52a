"""GraphQL enums that mirror :mod:`graph.model`: node labels and relationship types.

They are built from the model's enums, member for member, so they cannot drift apart.
GraphQL shows the member names (``PERSON``, ``GUARANTEES``); convert at the edge with
:func:`to_model_label`, :func:`to_model_types` and the ``from_model_*`` functions.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum

import strawberry

from graph import model

__all__ = [
    "Label",
    "RelType",
    "from_model_label",
    "from_model_type",
    "to_model_labels",
    "to_model_types",
]


def _mirror(source: type[StrEnum], description: str) -> type[StrEnum]:
    members = [(member.name, member.value) for member in source]
    return strawberry.enum(StrEnum(source.__name__, members), description=description)


Label = _mirror(model.Label, "What a node is: a party, a loan, an account, an identifier...")
RelType = _mirror(model.RelType, "What a relationship means, for example GUARANTEES.")


def from_model_label(label: model.Label) -> Label:
    return Label(label.value)


def from_model_type(rel_type: model.RelType) -> RelType:
    return RelType(rel_type.value)


def to_model_labels(labels: Iterable[Label] | None) -> frozenset[model.Label] | None:
    """The model labels of ``labels``; ``None`` (every label) stays ``None``."""
    return None if labels is None else frozenset(model.Label(label.value) for label in labels)


def to_model_types(types: Iterable[RelType] | None) -> frozenset[model.RelType] | None:
    """The model types of ``types``; ``None`` (every type) stays ``None``."""
    return None if types is None else frozenset(model.RelType(t.value) for t in types)
