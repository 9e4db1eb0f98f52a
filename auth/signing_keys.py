"""The keys that sign access tokens, and their rotation.

The newest key that is not retired signs. Rotating makes a new key and retires the others,
each staying *published* (at the JWKS endpoint, and to every verifier) for as long as a
token it signed can still be alive, so a rotation never invalidates a live token: a retired
key's ``publish_until`` is the rotation time plus the access tokens' lifetime plus a margin
(the time a process may keep signing with its cached key, and clock skew).

Keys are RSA 2048 signing with RS256, the algorithm RFC 9068 asks every resource server to
support. The private key is in the SQL database, which is why that database is as secret
as the keys.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Final

from joserfc.jwk import RSAKey
from sqlalchemy import Engine, or_
from sqlmodel import Session, col, select

from auth.models import SigningKeyRow

__all__ = ["SIGNING_ALGORITHM", "SigningKey", "SigningKeyStore"]

SIGNING_ALGORITHM: Final = "RS256"
_KEY_BITS: Final = 2048


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
    private_pem: str = field(repr=False, default="")

    @property
    def active(self) -> bool:
        return self.retired_at is None

    def private_key(self) -> RSAKey:
        return RSAKey.import_key(self.private_pem, {"kid": self.kid})

    def public_key(self) -> RSAKey:
        return RSAKey.import_key(self.public_jwk)


def _key(row: SigningKeyRow) -> SigningKey:
    return SigningKey(kid=row.kid, algorithm=row.algorithm, created_at=row.created_at,
                      retired_at=row.retired_at, publish_until=row.publish_until,
                      public_jwk=json.loads(row.public_jwk), private_pem=row.private_pem)


class SigningKeyStore:
    """Signing keys in the SQL database ``engine``."""

    def __init__(self, engine: Engine, *, clock: Callable[[], float] = time.time) -> None:
        self._engine = engine
        self._clock = clock

    def _new_row(self, now: int) -> SigningKeyRow:
        key = RSAKey.generate_key(_KEY_BITS)
        kid = key.thumbprint()
        public = key.as_dict(private=False)
        public.update({"kid": kid, "use": "sig", "alg": SIGNING_ALGORITHM})
        return SigningKeyRow(kid=kid, algorithm=SIGNING_ALGORITHM,
                             private_pem=key.as_pem(private=True).decode(),
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
            return _key(row)

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
            return _key(row)

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
            return [_key(row) for row in rows]

    def list(self) -> list[SigningKey]:
        """Every key ever made, newest first."""
        with Session(self._engine) as session:
            rows = session.exec(select(SigningKeyRow).order_by(*_NEWEST_FIRST)).all()
            return [_key(row) for row in rows]

    def jwks(self) -> dict[str, list[dict[str, Any]]]:
        """The JSON Web Key Set of :meth:`published` keys (RFC 7517)."""
        return {"keys": [key.public_jwk for key in self.published()]}
