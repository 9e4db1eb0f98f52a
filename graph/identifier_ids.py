"""Node ids of phone, address and device nodes: a keyed hash of the value, never the value.

Ids travel where personal data must not: in URLs, logs, cursors and error messages. So a
``Phone`` node is not ``phone:+8613800138000`` but ``phone:`` followed by the first 128 bits
of HMAC-SHA256 over its kind and normalised value, in hex, under a secret key
(``LOANWATCH_IDENTIFIER_KEY``). The same value under the same key always gives the same id,
so two parties that share a phone still share one node and re-importing stays idempotent;
without the key, an id does not tell the value, and guessing phone numbers cannot confirm
one. The value itself is kept as the node's ``value`` property, which
:mod:`graph.personal_data` masks.

Changing the key changes every id: ``loanwatch migrate`` re-keys the stored nodes (see
:mod:`graph.upgrades.identifier_keys`).
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Final

from graph.model import Label

__all__ = ["IDENTIFIER_KINDS", "ID_HASH_BYTES", "identifier_node_id", "kind_of"]

#: Bytes of the MAC kept in an id: 128 bits, written as 32 hex digits.
ID_HASH_BYTES: Final = 16
#: The identifier kinds (the ``kind`` column of ``identifiers``) and their node labels.
IDENTIFIER_KINDS: Final[dict[str, Label]] = {
    "phone": Label.PHONE,
    "address": Label.ADDRESS,
    "device": Label.DEVICE,
}
_KIND_OF_LABEL: Final = {label: kind for kind, label in IDENTIFIER_KINDS.items()}


def kind_of(label: Label) -> str | None:
    """The identifier kind of ``label`` nodes (``Label.PHONE`` → ``"phone"``), or ``None``."""
    return _KIND_OF_LABEL.get(label)


def identifier_node_id(kind: str, normal: str, key: bytes) -> str:
    """The node id of the normalised identifier ``normal`` of ``kind`` under ``key``.

    >>> identifier_node_id("phone", "+8613800138000", b"k" * 32)[:6]
    'phone:'
    >>> len(identifier_node_id("phone", "+8613800138000", b"k" * 32))
    38

    Raises:
        ValueError: ``kind`` is not an identifier kind, or ``key`` is empty.
    """
    if kind not in IDENTIFIER_KINDS:
        raise ValueError(f"unknown identifier kind {kind!r}; known: {', '.join(IDENTIFIER_KINDS)}")
    if not key:
        raise ValueError("the identifier key is empty")
    # The kind is part of the message, so one value of two kinds gets two unrelated ids.
    mac = hmac.new(key, f"{kind}\x00{normal}".encode(), hashlib.sha256).digest()
    return f"{kind}:{mac[:ID_HASH_BYTES].hex()}"
