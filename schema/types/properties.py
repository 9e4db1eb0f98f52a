"""Reading a node's or edge's flat properties: typed getters and the generic list.

Personal data (see :mod:`graph.personal_data`) is shown masked unless the request's context
says the caller may see it (``Context.personal_data_visible``; OAuth roles will decide that,
until then nobody may): masked values are partly starred, withheld ones left out.
"""

from __future__ import annotations

from collections.abc import Mapping

import strawberry

from graph.model import Label, PropertyValue
from graph.personal_data import mask_value, masked_props
from portfolio.money import ISO_4217_CODES, minor_to_decimal

__all__ = [
    "Property",
    "float_prop",
    "int_prop",
    "list_properties",
    "shown_value",
    "str_prop",
]

Props = Mapping[str, PropertyValue]


@strawberry.type(description="One stored property; the value rendered as text.")
class Property:
    key: str = strawberry.field(description="The property's name.")
    value: str = strawberry.field(description="Its value as text; amounts exact.")


def _render(value: PropertyValue) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def list_properties(props: Props, label: Label | None = None, *,
                    personal_data_visible: bool = False) -> list[Property]:
    """Every property of a ``label`` node (an edge's when ``label`` is ``None``), sorted by
    key; personal ones masked or left out unless ``personal_data_visible``."""
    shown = props if personal_data_visible else masked_props(label, props)
    shown = _exact_amounts(shown)
    return [Property(key=key, value=_render(shown[key])) for key in sorted(shown)]


_MINOR_SUFFIX = "_minor"


def _exact_amounts(props: Props) -> dict[str, PropertyValue]:
    """``props`` with every amount shown exactly: an amount ``x`` is stored as a float for
    analytics beside ``x_minor`` and ``x_currency`` (docs/data-model.md, Money); here ``x``
    becomes the exact decimal text of ``x_minor`` and ``x_minor`` is left out, so that no
    reader sees the float."""
    shown = dict(props)
    for key, minor in props.items():
        if not key.endswith(_MINOR_SUFFIX):
            continue
        amount = key[: -len(_MINOR_SUFFIX)]
        currency = props.get(f"{amount}_currency")
        if type(minor) is int and isinstance(currency, str) and currency in ISO_4217_CODES:
            shown[amount] = str(minor_to_decimal(minor, currency))
            del shown[key]
    return shown


def shown_value(label: Label, key: str, value: PropertyValue | None, *,
                personal_data_visible: bool = False) -> str | None:
    """Property ``key`` of a ``label`` node as text, masked when it is personal and the
    caller may not see it; ``None`` when missing or withheld."""
    if value is None:
        return None
    if not personal_data_visible:
        value = mask_value(label, key, value)
    return None if value is None else _render(value)


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
