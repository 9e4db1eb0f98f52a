"""Which graph properties are personal data, and how each is shown masked.

Loanwatch stores what a lender knows about natural persons: names, national ids, birth
dates, incomes, phones, addresses, devices. This registry is the one place that says which
node properties hold such data (:data:`PERSONAL_PROPERTIES`) and how each is masked when a
caller may not see it in full (:func:`mask_value`, :func:`masked_props`). Who may see what
is decided above this layer (the API's request context); this module only knows the data.

Company properties are not personal: a company's name, registration number and capital are
public facts about a legal person. Node ids are never personal either: parties, loans and
accounts carry the source system's opaque ids, and phone, address and device nodes are
keyed by a keyed hash of their value (see :mod:`graph.identifier_ids`).

>>> mask_value(Label.PERSON, "national_id", "330102197803150011")
'330***********0011'
>>> mask_value(Label.PHONE, "value", "+8613800138000")
'**********8000'
>>> mask_value(Label.PERSON, "monthly_income", 12500.0) is None
True
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from graph.model import Label, PropertyValue

__all__ = [
    "MASK_CHAR",
    "PERSONAL_PROPERTIES",
    "Masking",
    "PersonalProperty",
    "is_personal",
    "mask_value",
    "masked_props",
    "personal_property",
]

#: What replaces each hidden character of a partly shown value.
MASK_CHAR: Final = "*"


class Masking(StrEnum):
    """How a personal property is shown to a caller who may not see it in full."""

    #: The first 3 and the last 4 characters kept, the others starred (national ids).
    KEEP_FIRST_3_LAST_4 = "first 3 and last 4 characters kept"
    #: The last 4 characters kept (phone and account numbers).
    KEEP_LAST_4 = "last 4 characters kept"
    #: The first word kept (the family name, written first in Chinese order); a name of
    #: one word (``张伟``) keeps its first character.
    FAMILY_NAME = "family name kept"
    #: A ``YYYY-MM-DD`` date shown as its year.
    YEAR_ONLY = "year only"
    #: The last comma-separated part kept (the city of ``12 wenyi road, hangzhou``).
    CITY_ONLY = "city only"
    #: Not shown at all.
    WITHHELD = "withheld"


@dataclass(frozen=True, slots=True)
class PersonalProperty:
    """A node property that holds personal data, and how it is masked."""

    label: Label
    name: str
    masking: Masking
    #: What it is, in words (for documentation and error messages).
    what: str


#: Every personal property of the graph model. A property not listed is not personal.
PERSONAL_PROPERTIES: Final[tuple[PersonalProperty, ...]] = (
    PersonalProperty(Label.PERSON, "name", Masking.FAMILY_NAME, "a person's name"),
    PersonalProperty(Label.PERSON, "national_id", Masking.KEEP_FIRST_3_LAST_4,
                     "a national identity number"),
    PersonalProperty(Label.PERSON, "birth_date", Masking.YEAR_ONLY, "a date of birth"),
    PersonalProperty(Label.PERSON, "gender", Masking.WITHHELD, "a person's gender"),
    PersonalProperty(Label.PERSON, "monthly_income", Masking.WITHHELD, "a person's income"),
    # What the bank assesses a person could lose (savings, assets, income): as revealing of
    # the person's finances as the income it is often derived from.
    PersonalProperty(Label.PERSON, "loss_buffer", Masking.WITHHELD,
                     "a person's assessed loss-absorbing capacity"),
    PersonalProperty(Label.PHONE, "value", Masking.KEEP_LAST_4, "a phone number"),
    PersonalProperty(Label.ADDRESS, "value", Masking.CITY_ONLY, "a postal address"),
    PersonalProperty(Label.DEVICE, "value", Masking.WITHHELD, "a device id"),
    # Where notifications by e-mail go (notifications/contacts.py).
    PersonalProperty(Label.PERSON, "email", Masking.KEEP_LAST_4, "an e-mail address"),
)

_BY_KEY: Final[dict[tuple[Label, str], PersonalProperty]] = {
    (entry.label, entry.name): entry for entry in PERSONAL_PROPERTIES
}
if len(_BY_KEY) != len(PERSONAL_PROPERTIES):
    raise RuntimeError("a personal property is registered twice")  # a declaration bug


#: An amount is stored as three properties (``x`` for analytics, ``x_minor`` and
#: ``x_currency`` exact, see docs/data-model.md); the exact parts are as personal as ``x``.
_AMOUNT_PART_SUFFIXES: Final = ("_minor", "_currency")


def personal_property(label: Label, name: str) -> PersonalProperty | None:
    """The registry entry of property ``name`` on ``label`` nodes; ``None`` if not personal.

    The exact parts of a personal amount (``monthly_income_minor``,
    ``monthly_income_currency``) share the amount's entry.
    """
    entry = _BY_KEY.get((label, name))
    if entry is None:
        for suffix in _AMOUNT_PART_SUFFIXES:
            if name.endswith(suffix):
                return _BY_KEY.get((label, name[: -len(suffix)]))
    return entry


def is_personal(label: Label, name: str) -> bool:
    """Whether property ``name`` of a ``label`` node is personal data."""
    return personal_property(label, name) is not None


def _keep(text: str, first: int, last: int) -> str:
    """``text`` with all but its ``first`` and ``last`` characters starred; a value too
    short to hide anything that way is starred whole."""
    if len(text) <= first + last:
        return MASK_CHAR * len(text)
    return text[:first] + MASK_CHAR * (len(text) - first - last) + text[len(text) - last:]


def _masked(masking: Masking, value: PropertyValue) -> str | None:
    if masking is Masking.WITHHELD or isinstance(value, bool):
        return None
    text = str(value).strip()
    if masking is Masking.KEEP_FIRST_3_LAST_4:
        return _keep(text, 3, 4)
    if masking is Masking.KEEP_LAST_4:
        return _keep(text, 0, 4)
    if masking is Masking.FAMILY_NAME:
        words = text.split()
        if len(words) > 1:
            return f"{words[0]} {MASK_CHAR}"
        return _keep(text, 1, 0) if text else text
    if masking is Masking.YEAR_ONLY:
        year = text[:4]
        return year if len(year) == 4 and year.isdigit() else None
    # CITY_ONLY
    parts = [part.strip() for part in text.split(",")]
    return f"{MASK_CHAR * 3}, {parts[-1]}" if len(parts) > 1 and parts[-1] else None


def mask_value(label: Label, name: str, value: PropertyValue) -> PropertyValue | None:
    """``value`` as a caller who may not see property ``name`` of a ``label`` node sees it:
    unchanged when the property is not personal, masked when it is, ``None`` when the
    masking withholds it (or the value cannot be masked as its rule says, e.g. a birth date
    without a year: nothing is shown rather than too much)."""
    entry = personal_property(label, name)
    if entry is None:
        return value
    return _masked(entry.masking, value)


def masked_props(label: Label | None,
                 props: Mapping[str, PropertyValue]) -> dict[str, PropertyValue]:
    """``props`` of a ``label`` node with every personal property masked and the withheld
    ones left out. Edge properties (``label`` is ``None``) are never personal."""
    if label is None:
        return dict(props)
    shown: dict[str, PropertyValue] = {}
    for name, value in props.items():
        masked = mask_value(label, name, value)
        if masked is not None:
            shown[name] = masked
    return shown
