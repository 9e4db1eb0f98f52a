"""Normalisation of phone numbers, addresses and device ids into shared identifier nodes.

Two parties that give the same phone (however it is written) must land on one ``Phone``
node; that shared node is what makes an identity ring visible in the graph. The node's id is
a keyed hash of the normalised value (:mod:`graph.identifier_ids`), never the value itself.
"""

from __future__ import annotations

from typing import Final

from graph.identifier_ids import IDENTIFIER_KINDS, identifier_node_id
from graph.model import MAX_ID_LENGTH
from ingest.errors import InvalidValue

__all__ = ["IDENTIFIER_LABELS", "MAX_VALUE_LENGTH", "identifier_node_id", "normalise_identifier"]

#: The ``kind`` column of ``identifiers`` and the node label each kind becomes.
IDENTIFIER_LABELS: Final = IDENTIFIER_KINDS
#: Characters of a normalised value, whatever its kind (an address's limit when the value
#: was part of the node id; ids are now fixed-length hashes).
MAX_VALUE_LENGTH: Final = MAX_ID_LENGTH - len("address:")
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
            value is longer than :data:`MAX_VALUE_LENGTH`.
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
    if len(normal) > MAX_VALUE_LENGTH:
        raise InvalidValue(f"too long: at most {MAX_VALUE_LENGTH} characters after normalising")
    return normal
