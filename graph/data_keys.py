"""The keys that protect personal data at rest, each with a version.

Two families of keys, both versioned so that a key can be replaced while the data it
protects is still being converted:

* **data keys** (``LOANWATCH_DATA_KEYS``): 256-bit AES-GCM keys that encrypt personal
  property values. The highest version seals every new value; every configured version
  opens the values sealed under it. Rotating means adding a higher version, running
  ``loanwatch keys rotate``, then removing the old version.
* **hash keys** (``LOANWATCH_IDENTIFIER_KEY`` is version 1, ``LOANWATCH_HASH_KEYS`` adds
  later versions): HMAC-SHA256 keys of the blind index (name tokens, exact-match tokens).
  The highest version writes new index tokens; searches try every configured version, so
  search keeps working while ``keys rotate`` rewrites the tokens. Identifier node ids
  (:mod:`graph.identifier_ids`) are keyed with version 1 *only*, so rotating the hash key
  never changes a node id.

This module only holds and checks keys; the settings (an entry point) read them from the
environment and pass plain bytes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from loanwatch.errors import ConfigurationError

__all__ = [
    "DATA_KEYS_SETTING",
    "DATA_KEY_BYTES",
    "HASH_KEYS_SETTING",
    "IDENTIFIER_KEY_VERSION",
    "KeyRing",
]

#: AES-256: a data key is exactly 32 bytes.
DATA_KEY_BYTES: Final = 32
#: The hash key version that names identifier nodes; never rotated by ``keys rotate``.
IDENTIFIER_KEY_VERSION: Final = 1
DATA_KEYS_SETTING: Final = "LOANWATCH_DATA_KEYS"
HASH_KEYS_SETTING: Final = "LOANWATCH_HASH_KEYS"
#: Highest key version accepted (versions are written into every sealed value).
MAX_VERSION: Final = 65_535


@dataclass(frozen=True, slots=True)
class KeyRing:
    """Every configured data key and hash key, by version.

    Raises (on construction):
        ConfigurationError: no data key, no hash key, a data key that is not 32 bytes, a
            version outside 1..65535, or no hash key of version 1 (it names identifiers).
    """

    data_keys: Mapping[int, bytes]
    hash_keys: Mapping[int, bytes]

    def __post_init__(self) -> None:
        if not self.data_keys:
            raise ConfigurationError(f"no data key is configured ({DATA_KEYS_SETTING})",
                                     suggestion=_DATA_KEY_HINT)
        for what, keys, setting in (("data key", self.data_keys, DATA_KEYS_SETTING),
                                    ("hash key", self.hash_keys, HASH_KEYS_SETTING)):
            for version, key in keys.items():
                if not 1 <= version <= MAX_VERSION:
                    raise ConfigurationError(
                        f"{setting}: {what} version {version} is outside 1..{MAX_VERSION}")
                if not key:
                    raise ConfigurationError(f"{setting}: {what} version {version} is empty")
        for version, key in self.data_keys.items():
            if len(key) != DATA_KEY_BYTES:
                raise ConfigurationError(
                    f"{DATA_KEYS_SETTING}: data key version {version} has {len(key)} bytes; "
                    f"AES-256 needs {DATA_KEY_BYTES}", suggestion=_DATA_KEY_HINT)
        if IDENTIFIER_KEY_VERSION not in self.hash_keys:
            raise ConfigurationError(
                "no hash key of version 1 (LOANWATCH_IDENTIFIER_KEY): it names phone, "
                "address and device nodes and is never retired")

    @property
    def data_version(self) -> int:
        """The data key version that seals new values: the highest configured."""
        return max(self.data_keys)

    @property
    def hash_version(self) -> int:
        """The hash key version that writes new index tokens: the highest configured."""
        return max(self.hash_keys)

    @property
    def identifier_key(self) -> bytes:
        """The key of identifier node ids (hash key version 1, whatever the rotations)."""
        return self.hash_keys[IDENTIFIER_KEY_VERSION]


_DATA_KEY_HINT: Final = (
    f"set {DATA_KEYS_SETTING} to 'VERSION:KEY' pairs separated by commas, each KEY 32 random "
    "bytes in base64 (for example `1:$(openssl rand -base64 32)`)")
