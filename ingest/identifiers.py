"""Normalisation of phone numbers, addresses and device ids into shared identifier nodes.

Two parties that give the same phone (however it is written) must land on one ``Phone``
node; that shared node is what makes an identity ring visible in the graph.
"""

from __future__ import annotations

from typing import Final

from graph.model import MAX_ID_LENGTH, Label
from ingest.errors import InvalidValue

__all__ = ["IDENTIFIER_LABELS", "identifier_node_id", "normalise_identifier"]

#: The ``kind`` column of ``identifiers`` and the node label each kind becomes.
IDENTIFIER_LABELS: Final = {
    "phone": Label.PHONE,
    "address": Label.ADDRESS,
    "device": Label.DEVICE,
}
_DIGITS: Final = frozenset("0123456789")


def normalise_identifier(kind: str, value: str) -> str:
    """``value`` as stored: phones keep only ASCII digits and a ``+`` before them; addresses and
    devices are trimmed, lower-cased and have runs of white space folded into one space.

    >>> normalise_identifier("phone", "+86 138-0013-8000")
    '+8613800138000'
    >>> normalise_identifier("address", "  12  Bund Road,\\tShanghai ")
    '12 bund road, shanghai'

    Raises:
        InvalidValue: nothing is left after normalising (a phone without digits), or the
            node id would be longer than the graph allows.
    """
    if kind == "phone":
        kept = [char for char in value if char in _DIGITS or char == "+"]
        digits = "".join(char for char in kept if char != "+")
        if not digits:
            raise InvalidValue(f"a phone number needs digits; got {value!r}")
        # "+" counts only before the first digit: "(+86) 138..." is international.
        normal = "+" + digits if kept[0] == "+" else digits
    else:
        normal = " ".join(value.lower().split())
        if not normal:
            raise InvalidValue("the value is blank")
    if len(kind) + 1 + len(normal) > MAX_ID_LENGTH:
        raise InvalidValue(
            f"too long: at most {MAX_ID_LENGTH - len(kind) - 1} characters after normalising"
        )
    return normal


def identifier_node_id(kind: str, normal: str) -> str:
    """The node id of a normalised identifier, e.g. ``phone:+8613800138000``."""
    return f"{kind}:{normal}"
