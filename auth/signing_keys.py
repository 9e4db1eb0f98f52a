"""The keys that sign access tokens, and their rotation.

The newest key that is not retired signs. Rotating makes a new key and retires the others,
each staying *published* (at the JWKS endpoint, and to every verifier) for as long as a
token it signed can still be alive, so a rotation never invalidates a live token: a retired
key's ``publish_until`` is the rotation time plus the access tokens' lifetime plus a margin
(the time a process may keep signing with its cached key, and clock skew).

Keys are RSA 2048 signing with RS256, the algorithm RFC 9068 asks every resource server to
support. The private key is in the SQL database, sealed (AES-256-GCM under the current data
key of ``LOANWATCH_DATA_KEYS``) by the :class:`TextSealer` the entry points pass (the
personal-data vault, :class:`graph.vault.PersonalDataVault`; ``auth`` does not import
``graph``, so the vault comes in as an argument). Only the private PEM is sealed: the public
key stays in clear, so verifying a token never needs a data key, and a key sealed under one
data key version keeps signing after ``loanwatch keys rotate`` re-seals it under the next
one. A PEM stored in clear (written before keys were sealed) still signs; ``loanwatch
migrate`` and ``keys rotate`` seal it.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Final, Protocol

from joserfc.jwk import RSAKey
from sqlalchemy import Engine, or_
from sqlmodel import Session, col, select

from auth.errors import AuthError
from auth.models import SigningKeyRow

__all__ = ["PEM_FIELD", "SIGNING_ALGORITHM", "SigningKey", "SigningKeyStore", "TextSealer"]

SIGNING_ALGORITHM: Final = "RS256"
#: The sealed field's name (the associated data of its ciphertext).
PEM_FIELD: Final = "oauth_signing_key.private_pem"
_KEY_BITS: Final = 2048
_PEM_START: Final = "-----BEGIN"


class TextSealer(Protocol):
    """Seals and opens a text field of a SQL row (:class:`graph.vault.PersonalDataVault`
    is one)."""

    def seal_text(self, field: str, text: str) -> str:
        """``text`` of ``field`` sealed under the current data key."""
        ...

    def open_text(self, field: str, value: str, *, where: str = "",
                  clear_ok: bool = False) -> str:
        """The text a sealed ``value`` of ``field`` holds (``value`` itself when it is in
        clear and ``clear_ok``); raises a :class:`loanwatch.errors.LoanwatchError` naming
        ``where`` and the key version when it cannot be opened."""
        ...


def _clear_only(kid: str, pem: str) -> str:
    """The PEM of a store that has no sealer: only one stored in clear."""
    if pem.startswith(_PEM_START):
        return pem
    raise AuthError(f"the private key of signing key {kid!r} (table oauth_signing_key) is "
                    "sealed, and this process was given no data keys to open it",
                    suggestion="build the SigningKeyStore with the personal-data vault "
                               "(LOANWATCH_DATA_KEYS)")


#: The signing key first, then the retired ones, newest first (two keys made in the same
#: second keep that order too).
_NEWEST_FIRST: Final = (col(SigningKeyRow.retired_at).is_not(None),
                        col(SigningKeyRow.created_at).desc(),
                        col(SigningKeyRow.retired_at).desc(), col(SigningKeyRow.kid))


@dataclass(frozen=True, slots=True)
class SigningKey:
    """A signing key: ``public_jwk`` is what the JWKS endpoint publishes."""

    kid: str
    algorithm: str
    created_at: int
    retired_at: int | None
    publish_until: int | None
    public_jwk: dict[str, Any]
    #: As stored: sealed (``lw1$...``), or in clear when written before keys were sealed.
    private_pem: str = field(repr=False, default="")
    #: Opens ``private_pem`` (the store's sealer); only when the key signs.
    opener: Callable[[str, str], str] = field(repr=False, compare=False, default=_clear_only)

    @property
    def active(self) -> bool:
        return self.retired_at is None

    def private_key(self) -> RSAKey:
        """The private key, opened under whichever data key version sealed it.

        Raises:
            LoanwatchError: the data key version it was sealed under is not configured
                (the message names the table, the key id and the version), or the key is
                wrong.
        """
        return RSAKey.import_key(self.opener(self.kid, self.private_pem), {"kid": self.kid})

    def public_key(self) -> RSAKey:
        return RSAKey.import_key(self.public_jwk)


class SigningKeyStore:
    """Signing keys in the SQL database ``engine``.

    Args:
        sealer: seals new private keys and opens stored ones (the entry points pass the
            personal-data vault). Without one, new keys are stored in clear and sealed
            ones cannot sign: only for tools and tests.
    """

    def __init__(self, engine: Engine, *, clock: Callable[[], float] = time.time,
                 sealer: TextSealer | None = None) -> None:
        self._engine = engine
        self._clock = clock
        self._sealer = sealer

    def _open(self, kid: str, pem: str) -> str:
        if self._sealer is None:
            return _clear_only(kid, pem)
        return self._sealer.open_text(PEM_FIELD, pem,
                                      where=f"oauth_signing_key row {kid!r}", clear_ok=True)

    def _key(self, row: SigningKeyRow) -> SigningKey:
        return SigningKey(kid=row.kid, algorithm=row.algorithm, created_at=row.created_at,
                          retired_at=row.retired_at, publish_until=row.publish_until,
                          public_jwk=json.loads(row.public_jwk), private_pem=row.private_pem,
                          opener=self._open)

    def _new_row(self, now: int) -> SigningKeyRow:
        key = RSAKey.generate_key(_KEY_BITS)
        kid = key.thumbprint()
        public = key.as_dict(private=False)
        public.update({"kid": kid, "use": "sig", "alg": SIGNING_ALGORITHM})
        pem = key.as_pem(private=True).decode()
        if self._sealer is not None:
            pem = self._sealer.seal_text(PEM_FIELD, pem)
        return SigningKeyRow(kid=kid, algorithm=SIGNING_ALGORITHM, private_pem=pem,
                             public_jwk=json.dumps(public, sort_keys=True), created_at=now)

    def active(self) -> SigningKey:
        """The key that signs now; the first one is made when there is none."""
        with Session(self._engine) as session:
            row = session.exec(
                select(SigningKeyRow).where(col(SigningKeyRow.retired_at).is_(None))
                .order_by(col(SigningKeyRow.created_at).desc(), col(SigningKeyRow.kid))
            ).first()
            if row is None:
                row = self._new_row(int(self._clock()))
                session.add(row)
                session.commit()
                session.refresh(row)
            return self._key(row)

    def rotate(self, *, keep_published_s: int) -> SigningKey:
        """Make a new signing key and retire the others, each published for
        ``keep_published_s`` more seconds (at least the access tokens' lifetime)."""
        now = int(self._clock())
        with Session(self._engine) as session:
            for old in session.exec(select(SigningKeyRow).where(
                    col(SigningKeyRow.retired_at).is_(None))).all():
                old.retired_at = now
                old.publish_until = now + keep_published_s
                session.add(old)
            row = self._new_row(now)
            session.add(row)
            session.commit()
            session.refresh(row)
            return self._key(row)

    def published(self) -> list[SigningKey]:
        """The keys a verifier accepts: the active ones, and the retired ones whose tokens
        may still be alive. Newest first."""
        now = int(self._clock())
        with Session(self._engine) as session:
            rows = session.exec(
                select(SigningKeyRow).where(or_(col(SigningKeyRow.retired_at).is_(None),
                                                col(SigningKeyRow.publish_until) > now))
                .order_by(*_NEWEST_FIRST)
            ).all()
            return [self._key(row) for row in rows]

    def list(self) -> list[SigningKey]:
        """Every key ever made, newest first."""
        with Session(self._engine) as session:
            rows = session.exec(select(SigningKeyRow).order_by(*_NEWEST_FIRST)).all()
            return [self._key(row) for row in rows]

    def jwks(self) -> dict[str, list[dict[str, Any]]]:
        """The JSON Web Key Set of :meth:`published` keys (RFC 7517)."""
        return {"keys": [key.public_jwk for key in self.published()]}
