"""Secrets as Loanwatch makes, keeps and checks them.

Client secrets, authorization codes and refresh tokens are long random strings made here
(256 bits for secrets): a SHA-256 of such a string cannot be reversed or guessed, so that
is what is stored, and a check costs microseconds. Passwords are chosen by people and can be
guessed: they are stored with Argon2id (RFC 9106), whose cost :class:`Passwords` takes as
arguments (tests use a cheap one).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Final

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError

__all__ = [
    "MIN_PASSWORD_LENGTH",
    "Passwords",
    "hash_token",
    "new_client_id",
    "new_secret",
    "token_matches",
]

#: Shortest password a user may have, in characters.
MIN_PASSWORD_LENGTH: Final = 10
_SECRET_BYTES: Final = 32
_CLIENT_ID_BYTES: Final = 12


def new_client_id() -> str:
    """A fresh client id, ``lw-`` and 16 URL-safe characters."""
    return f"lw-{secrets.token_urlsafe(_CLIENT_ID_BYTES)}"


def new_secret() -> str:
    """A fresh secret (client secret, refresh token): 256 random bits, URL-safe."""
    return secrets.token_urlsafe(_SECRET_BYTES)


def hash_token(value: str) -> str:
    """The SHA-256 of a random secret, hex: what the database keeps instead of it."""
    return hashlib.sha256(value.encode()).hexdigest()


def token_matches(value: str, stored_hash: str) -> bool:
    """Whether ``value`` hashes to ``stored_hash``, in constant time."""
    return bool(stored_hash) and hmac.compare_digest(hash_token(value), stored_hash)


class Passwords:
    """Argon2id hashing of user passwords.

    The defaults are argon2-cffi's (RFC 9106's low-memory profile: 3 passes over 64 MiB).
    """

    def __init__(self, *, time_cost: int = 3, memory_cost_kib: int = 65_536,
                 parallelism: int = 4) -> None:
        self._hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory_cost_kib,
                                      parallelism=parallelism, type=Type.ID)
        # Checked when the login is unknown, so that an unknown login costs as much time as
        # a wrong password and the answer's timing does not tell which logins exist.
        self._decoy = self._hasher.hash(secrets.token_urlsafe(16))

    def hash(self, password: str) -> str:
        return self._hasher.hash(password)

    def verify(self, stored_hash: str | None, password: str) -> bool:
        """Whether ``password`` matches ``stored_hash`` (``None``: an unknown login, which
        never matches but costs the same time)."""
        try:
            return self._hasher.verify(stored_hash or self._decoy, password) and \
                stored_hash is not None
        except (VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, stored_hash: str) -> bool:
        """Whether ``stored_hash`` was made with other parameters than these."""
        return self._hasher.check_needs_rehash(stored_hash)
