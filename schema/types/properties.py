"""Reading a node's or edge's flat properties: typed getters and the generic list.

Personal data that later issues will show only to roles allowed to see it (OAuth is not
there yet) is withheld from the generic list: see :data:`WITHHELD_PROPERTIES`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

import strawberry

from graph.model import PropertyValue

__all__ = [
    "WITHHELD_PROPERTIES",
    "Property",
    "float_prop",
    "int_prop",
    "list_properties",
    "str_prop",
]

#: Property names never listed until field permissions exist.
WITHHELD_PROPERTIES: Final = frozenset({"national_id"})

Props = Mapping[str, PropertyValue]


@strawberry.type(description="One stored property; the value rendered as text.")
class Property:
    key: str
    value: str


def _render(value: PropertyValue) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def list_properties(props: Props) -> list[Property]:
    """Every property but the withheld ones, sorted by key."""
    return [
        Property(key=key, value=_render(props[key]))
        for key in sorted(props)
        if key not in WITHHELD_PROPERTIES
    ]


def str_prop(props: Props, key: str) -> str | None:
    value = props.get(key)
    return None if value is None else _render(value)


def float_prop(props: Props, key: str) -> float | None:
    """The number under ``key``; ``None`` when missing or not a number."""
    value = props.get(key)
    if isinstance(value, bool) or value is None:
        return None
    try:
        return float(value)
    except ValueError:
        return None


def int_prop(props: Props, key: str) -> int | None:
    """The whole number under ``key``; ``None`` when missing or not a whole number."""
    number = float_prop(props, key)
    return int(number) if number is not None and number.is_integer() else None
