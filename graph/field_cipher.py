"""Authenticated encryption of one property value: AES-256-GCM envelopes in a string.

A sealed value is a string that says how to open it::

    lw1$<key version>$<base64url(nonce ‖ ciphertext ‖ tag)>

The plaintext is the value's JSON (so an int stays an int, a float a float, a bool a bool);
the nonce is 96 random bits, fresh for every value; the associated data is the property's
name, so a ciphertext moved into another property (an income into a name) fails to open.
Both backends store the envelope as a plain string property.

>>> cipher = FieldCipher({1: b"k" * 32})
>>> sealed = cipher.seal("name", "Zhang Wei")
>>> sealed.startswith("lw1$1$"), cipher.open("name", sealed)
(True, 'Zhang Wei')
"""

from __future__ import annotations

import base64
import binascii
import os
from collections.abc import Mapping
from typing import Final

import orjson
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from graph.data_keys import DATA_KEYS_SETTING
from graph.errors import PlaintextPersonalData, UndecryptableValue, UnknownDataKey
from graph.model import PropertyValue

__all__ = ["ENVELOPE_PREFIX", "FieldCipher", "envelope_version", "is_sealed"]

#: What every sealed value starts with (format version 1).
ENVELOPE_PREFIX: Final = "lw1$"
NONCE_BYTES: Final = 12
_AAD_PREFIX: Final = b"loanwatch/personal/"


def is_sealed(value: object) -> bool:
    """Whether ``value`` is a sealed envelope (not a value stored in clear)."""
    return type(value) is str and value.startswith(ENVELOPE_PREFIX)


def envelope_version(value: str) -> int:
    """The data key version a sealed ``value`` was sealed under.

    Raises:
        UndecryptableValue: ``value`` is not a well-formed envelope.
    """
    version, _, rest = value[len(ENVELOPE_PREFIX):].partition("$")
    if not version.isdigit() or not rest:
        raise UndecryptableValue("a stored personal value is not a well-formed envelope")
    return int(version)


class FieldCipher:
    """Seals and opens property values with the data keys of a key ring.

    Args:
        keys: data keys by version; the highest seals, all open.
    """

    def __init__(self, keys: Mapping[int, bytes]) -> None:
        self._aeads = {version: AESGCM(key) for version, key in keys.items()}
        self.version = max(keys)
        self._current = self._aeads[self.version]
        self._prefix = f"{ENVELOPE_PREFIX}{self.version}$"

    def seal(self, name: str, value: PropertyValue) -> str:
        """``value`` of property ``name`` as an envelope under the current key."""
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._current.encrypt(nonce, orjson.dumps(value), _AAD_PREFIX + name.encode())
        return self._prefix + base64.urlsafe_b64encode(nonce + sealed).decode()

    def open(self, name: str, value: object, *, where: str = "") -> PropertyValue:
        """The value an envelope of property ``name`` holds.

        Args:
            where: names the value in errors (``node P1``).

        Raises:
            PlaintextPersonalData: ``value`` is not an envelope: stored in clear.
            UnknownDataKey: its key version is not configured.
            UndecryptableValue: the key of that version does not open it (a wrong key, or a
                changed value).
        """
        place = f" of {where}" if where else ""
        if not is_sealed(value):
            raise PlaintextPersonalData(
                f"personal property {name!r}{place} is stored in clear: the store was "
                "written before encryption at rest",
                suggestion="run `loanwatch migrate`, which encrypts it")
        text = str(value)
        version = envelope_version(text)
        aead = self._aeads.get(version)
        if aead is None:
            raise UnknownDataKey("data key", version, sorted(self._aeads), DATA_KEYS_SETTING,
                                 where=f"personal property {name!r}{place}")
        try:
            raw = base64.urlsafe_b64decode(text[text.index("$", len(ENVELOPE_PREFIX)) + 1:])
            plain = aead.decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:],
                                 _AAD_PREFIX + name.encode())
        except (InvalidTag, ValueError, binascii.Error) as exc:
            raise UndecryptableValue(
                f"personal property {name!r}{place} does not decrypt under data key "
                f"version {version}: the configured key of that version is not the one it "
                "was encrypted with, or the stored value was changed",
                suggestion=f"check {DATA_KEYS_SETTING} (version {version}) against the key "
                           "the data was written with") from exc
        result: PropertyValue = orjson.loads(plain)
        return result
