"""JWT access tokens (RFC 9068): made by the authorization server, checked by the API.

A token is a JWS (RS256, header ``typ: at+jwt`` and the ``kid`` of its key) whose claims
are ``iss``, ``sub`` (``user:<login>`` or ``client:<client id>``), ``aud``, ``exp``,
``iat``, ``jti``, ``client_id``, ``scope`` and Loanwatch's ``role``.

:class:`AccessTokenVerifier` is the :class:`auth.principal.TokenVerifier` the API uses. It
keeps the published public keys in memory (a token signed by a key it does not know makes
it reload them, at most once a second, so a key made by a rotation in another process is
picked up at once and a stream of made-up key ids costs nothing), checks the signature, the
header, the issuer, the audience and the times, then asks the revocation list. No database
is asked for the keys on the common path: a check costs well under a millisecond.
"""

from __future__ import annotations

import base64
import binascii
import json
import secrets
import time
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from typing import Any, Final

from joserfc import jws
from joserfc.errors import JoseError
from joserfc.jwk import RSAKey

from auth.errors import InvalidToken
from auth.principal import Principal, Role
from auth.revocations import Revocations
from auth.signing_keys import SIGNING_ALGORITHM, SigningKey

__all__ = [
    "ACCESS_TOKEN_TYPE",
    "DEFAULT_LEEWAY_S",
    "AccessTokenVerifier",
    "new_token_id",
    "sign_access_token",
    "unverified_claims",
]

#: The ``typ`` header of RFC 9068 access tokens.
ACCESS_TOKEN_TYPE: Final = "at+jwt"
#: Clock skew tolerated between the server that signs and the one that checks, in seconds.
DEFAULT_LEEWAY_S: Final = 30
#: A verifier reloads the published keys at most this often when it meets an unknown kid...
KEY_RELOAD_MIN_INTERVAL_S: Final = 1.0
#: ... and at least this often anyway (to forget keys no longer published).
KEY_CACHE_MAX_AGE_S: Final = 60.0
#: Tokens whose signature and claims were checked, kept by their text so that a client
#: sending the same token again skips the RSA verification (about a quarter of a small
#: request's CPU). Expiry, the signing key and revocation are still checked every time.
VERIFIED_CACHE_SIZE: Final = 4096
_ACCEPTED_TYPES: Final = frozenset({"at+jwt", "application/at+jwt"})
_MAX_TOKEN_LENGTH: Final = 8_192


def new_token_id() -> str:
    """A fresh ``jti``: 128 random bits."""
    return secrets.token_urlsafe(16)


def sign_access_token(key: SigningKey, claims: Mapping[str, Any]) -> str:
    """``claims`` as an RFC 9068 JWT signed with ``key``."""
    header = {"alg": key.algorithm, "typ": ACCESS_TOKEN_TYPE, "kid": key.kid}
    payload = json.dumps(dict(claims), separators=(",", ":")).encode()
    return jws.serialize_compact(header, payload, key.private_key(),
                                 algorithms=[key.algorithm])


def _b64decode(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def unverified_claims(token: str) -> dict[str, Any]:
    """The claims of a token this server just signed (no check: never for a token that
    came from outside)."""
    return dict(json.loads(_b64decode(token.split(".")[1])))


def _header(token: str) -> dict[str, Any]:
    if len(token) > _MAX_TOKEN_LENGTH or token.count(".") != 2:
        raise InvalidToken("the access token is malformed: not a signed JWT")
    try:
        header = json.loads(_b64decode(token.split(".", 1)[0]))
    except (ValueError, binascii.Error):
        raise InvalidToken("the access token is malformed: its header is not JSON") from None
    if not isinstance(header, dict):
        raise InvalidToken("the access token is malformed: its header is not an object")
    return header


class AccessTokenVerifier:
    """Checks access tokens and turns them into :class:`Principal` s.

    Args:
        keys: returns the published signing keys (``SigningKeyStore.published``).
        revocations: the revocation list.
        issuer: the ``iss`` a token must carry.
        audience: the ``aud`` a token must carry (or contain).
        leeway_s: tolerated clock skew.
        clock: seconds since the epoch.
    """

    def __init__(
        self,
        keys: Callable[[], Iterable[SigningKey]],
        revocations: Revocations,
        *,
        issuer: str,
        audience: str,
        leeway_s: int = DEFAULT_LEEWAY_S,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._load_keys = keys
        self._revocations = revocations
        self._issuer = issuer
        self._audience = audience
        self._leeway = leeway_s
        self._clock = clock
        self._keys: dict[str, tuple[RSAKey, int | None]] = {}
        self._loaded_at = float("-inf")
        #: token text -> (kid, exp, principal), oldest first (see VERIFIED_CACHE_SIZE).
        self._verified: dict[str, tuple[str, int, Principal]] = {}

    def _reload(self, now: float) -> None:
        self._keys = {k.kid: (k.public_key(), k.publish_until) for k in self._load_keys()
                      if k.algorithm == SIGNING_ALGORITHM}
        self._loaded_at = now

    def _key(self, kid: object, now: float) -> RSAKey:
        if now - self._loaded_at > KEY_CACHE_MAX_AGE_S:
            self._reload(now)
        if not isinstance(kid, str) or not kid:
            raise InvalidToken("the access token names no signing key (kid)")
        found = self._keys.get(kid)
        if found is None and now - self._loaded_at >= KEY_RELOAD_MIN_INTERVAL_S:
            self._reload(now)
            found = self._keys.get(kid)
        if found is None or (found[1] is not None and now > found[1]):
            raise InvalidToken("the access token is signed by an unknown key")
        return found[0]

    def claims(self, token: str) -> dict[str, Any]:
        """The checked claims of ``token`` (signature, header, issuer, audience, times),
        revocation not asked.

        Raises:
            InvalidToken: naming what is wrong, never echoing the token.
        """
        now = self._clock()
        header = _header(token)
        if header.get("alg") != SIGNING_ALGORITHM:
            raise InvalidToken("the access token is not signed with RS256")
        if header.get("typ") not in _ACCEPTED_TYPES:
            raise InvalidToken("the token is not an access token (typ at+jwt)")
        key = self._key(header.get("kid"), now)
        try:
            payload = jws.deserialize_compact(token, key, algorithms=[SIGNING_ALGORITHM]).payload
            claims = json.loads(payload)
        except (JoseError, ValueError):
            raise InvalidToken("the access token's signature does not verify") from None
        if not isinstance(claims, dict):
            raise InvalidToken("the access token is malformed: its claims are not an object")
        self._check(claims, now)
        return claims

    def _check(self, claims: dict[str, Any], now: float) -> None:
        for name, kind in (("iss", str), ("sub", str), ("exp", int), ("iat", int),
                           ("jti", str), ("client_id", str), ("scope", str), ("role", str)):
            if not isinstance(claims.get(name), kind):
                raise InvalidToken(f"the access token has no valid {name!r} claim")
        if claims["iss"] != self._issuer:
            raise InvalidToken("the access token was issued by another issuer")
        audience = claims.get("aud")
        audiences = audience if isinstance(audience, list) else [audience]
        if self._audience not in audiences:
            raise InvalidToken("the access token is meant for another audience")
        if claims["exp"] + self._leeway < now:
            raise InvalidToken("the access token has expired")
        if claims["iat"] - self._leeway > now or claims.get("nbf", 0) - self._leeway > now:
            raise InvalidToken("the access token is not valid yet")
        if claims["role"] not in Role._value2member_map_:
            raise InvalidToken("the access token names an unknown role")

    def principal(self, claims: Mapping[str, Any]) -> Principal:
        subject = str(claims["sub"])
        return Principal(
            subject=subject, client_id=str(claims["client_id"]), role=Role(claims["role"]),
            scopes=frozenset(str(claims["scope"]).split()),
            user=subject[len("user:"):] if subject.startswith("user:") else None,
            token_id=str(claims["jti"]),
            expires_at=datetime.fromtimestamp(int(claims["exp"]), UTC),
        )

    async def verify(self, token: str) -> Principal:
        """The principal of ``token``.

        Raises:
            InvalidToken: malformed, expired, not yet valid, revoked, signed by an unknown
                key, for another audience or issuer.
        """
        now = self._clock()
        cached = self._verified.get(token)
        if cached is not None:
            kid, expires, principal = cached
            if expires + self._leeway >= now:
                self._key(kid, now)  # a key withdrawn since refuses its tokens at once
                self._refuse_revoked(principal.token_id or "", principal.client_id)
                return principal
            del self._verified[token]  # expired: the full check below says so
        claims = self.claims(token)
        self._refuse_revoked(claims["jti"], claims["client_id"])
        principal = self.principal(claims)
        if len(self._verified) >= VERIFIED_CACHE_SIZE:
            del self._verified[next(iter(self._verified))]
        self._verified[token] = (str(_header(token).get("kid")), int(claims["exp"]), principal)
        return principal

    def _refuse_revoked(self, token_id: str, client_id: str) -> None:
        if self._revocations.is_revoked(token_id, client_id):
            raise InvalidToken("the access token has been revoked")

    def verify_now(self, token: str) -> Principal:
        """:meth:`verify`, synchronously (for the introspection endpoint)."""
        claims = self.claims(token)
        if self._revocations.is_revoked(claims["jti"], claims["client_id"]):
            raise InvalidToken("the access token has been revoked")
        return self.principal(claims)
