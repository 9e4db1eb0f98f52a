"""OAuth clients: registered, listed and revoked, with their secrets kept hashed.

A **confidential** client (an integration, or a server-side front end) has a secret, shown
once when it is created; it may use the client-credentials grant (its tokens carry the
client's own role, ``integration`` by default) and, when it has redirect URIs, the
authorization-code grant. A **public** client (a browser front end) has no secret: it may
only use the authorization-code grant, with PKCE (S256), and refresh tokens. Redirect URIs
are matched exactly, character for character.

>>> store = ClientStore(engine)                                      # doctest: +SKIP
>>> client, secret = store.create("risk-dashboard", ["portfolio:read"])  # doctest: +SKIP
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Final
from urllib.parse import urlsplit

from authlib.oauth2.rfc6749 import ClientMixin
from sqlalchemy import Engine
from sqlmodel import Session, select

from auth.credentials import hash_token, new_client_id, new_secret, token_matches
from auth.errors import RegistrationError, UnknownClient
from auth.models import ClientRow
from auth.principal import SCOPES, Role, check_scopes

__all__ = ["CLIENT_GRANTS", "PUBLIC_CLIENT_GRANTS", "ClientStore", "OAuthClient",
           "check_redirect_uri"]

#: The grants of a confidential client; ``authorization_code`` and ``refresh_token`` only
#: when it has redirect URIs.
CLIENT_GRANTS: Final = ("client_credentials", "authorization_code", "refresh_token")
PUBLIC_CLIENT_GRANTS: Final = ("authorization_code", "refresh_token")
_MAX_NAME: Final = 255
_LOOPBACK: Final = frozenset({"127.0.0.1", "localhost", "::1"})

Clock = Callable[[], float]


def check_redirect_uri(uri: str) -> str:
    """``uri`` if it may be registered: absolute, ``https`` (or ``http`` on a loopback
    host, RFC 8252), no fragment.

    Raises:
        RegistrationError: it may not; the message says why.
    """
    parsed = urlsplit(uri)
    if not parsed.scheme or not parsed.hostname:
        raise RegistrationError(f"redirect URI {uri!r} is not an absolute URL")
    if parsed.fragment:
        raise RegistrationError(f"redirect URI {uri!r} has a fragment (#...); RFC 6749 "
                                "forbids one")
    if parsed.scheme != "https" and not (parsed.scheme == "http"
                                         and parsed.hostname in _LOOPBACK):
        raise RegistrationError(f"redirect URI {uri!r} must use https (http only on "
                                "127.0.0.1, ::1 or localhost)")
    return uri


@dataclass(frozen=True, slots=True)
class OAuthClient(ClientMixin):  # type: ignore[misc]
    """A registered client, as Authlib's grants ask about it."""

    client_id: str
    name: str
    public: bool
    role: Role
    scopes: tuple[str, ...]
    grant_types: tuple[str, ...]
    redirect_uris: tuple[str, ...]
    created_at: int
    revoked_at: int | None = None
    secret_hash: str = field(default="", repr=False)

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None

    def get_client_id(self) -> str:
        return self.client_id

    def get_default_redirect_uri(self) -> str | None:
        # Only when there is no doubt: with several, the request must name one.
        return self.redirect_uris[0] if len(self.redirect_uris) == 1 else None

    def get_allowed_scope(self, scope: str | None) -> str | None:
        """The scope to grant: all the client's scopes when none is asked for, the ones
        asked for when the client has them all, else ``None`` (``invalid_scope``)."""
        if not scope:
            return " ".join(self.scopes)
        asked = scope.split()
        if not set(asked) <= set(self.scopes):
            return None
        return " ".join(s for s in self.scopes if s in asked)

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return redirect_uri in self.redirect_uris

    def check_client_secret(self, client_secret: str) -> bool:
        return not self.public and token_matches(client_secret, self.secret_hash)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        if self.public:
            # A public client authenticates with nothing: at the token endpoint (PKCE
            # proves it) and to revoke its own tokens; it may not introspect.
            return method == "none" and endpoint in {"token", "revocation"}
        return method in {"client_secret_basic", "client_secret_post"}

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code" and "authorization_code" in self.grant_types

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type in self.grant_types


def _client(row: ClientRow) -> OAuthClient:
    return OAuthClient(
        client_id=row.client_id, name=row.name, public=row.public, role=Role(row.role),
        scopes=tuple(row.scopes.split()), grant_types=tuple(row.grant_types.split()),
        redirect_uris=tuple(u for u in row.redirect_uris.split("\n") if u),
        created_at=row.created_at, revoked_at=row.revoked_at, secret_hash=row.secret_hash,
    )


class ClientStore:
    """The registered clients, in the SQL database ``engine``."""

    def __init__(self, engine: Engine, *, clock: Clock = time.time) -> None:
        self._engine = engine
        self._clock = clock

    def create(
        self,
        name: str,
        scopes: Iterable[str],
        *,
        redirect_uris: Sequence[str] = (),
        public: bool = False,
        role: Role | str = Role.INTEGRATION,
    ) -> tuple[OAuthClient, str | None]:
        """Register a client; returns it and its secret (``None`` for a public client).

        The secret is not kept (only its hash): show it now or never.

        Raises:
            RegistrationError: an empty or too long name, no scope or an unknown one, an
                unknown role, a redirect URI that may not be registered, or a public
                client without one.
        """
        name = name.strip()
        if not name or len(name) > _MAX_NAME:
            raise RegistrationError(f"--name must be 1 to {_MAX_NAME} characters")
        try:
            chosen = check_scopes(scopes)
            role = Role(role)
        except ValueError as exc:
            raise RegistrationError(str(exc).replace("is not a valid Role",
                                                     "is not a role")) from exc
        if not chosen:
            raise RegistrationError("--scope names no scope; give at least one")
        uris = tuple(dict.fromkeys(check_redirect_uri(u) for u in redirect_uris))
        if public and not uris:
            raise RegistrationError("a public client needs at least one --redirect-uri "
                                    "(it can only use the authorization-code grant)")
        if public:
            grants = PUBLIC_CLIENT_GRANTS
        else:
            grants = CLIENT_GRANTS if uris else ("client_credentials",)
        secret = None if public else new_secret()
        row = ClientRow(
            client_id=new_client_id(), name=name,
            secret_hash="" if secret is None else hash_token(secret), public=public,
            role=role.value, scopes=" ".join(_ordered(chosen)),
            grant_types=" ".join(grants), redirect_uris="\n".join(uris),
            created_at=int(self._clock()),
        )
        with Session(self._engine) as session:
            session.add(row)
            session.commit()
            session.refresh(row)
            return _client(row), secret

    def get(self, client_id: str) -> OAuthClient | None:
        """The client ``client_id`` (revoked or not), or ``None``."""
        with Session(self._engine) as session:
            row = session.get(ClientRow, client_id)
            return None if row is None else _client(row)

    def list(self) -> list[OAuthClient]:
        """Every client, revoked ones included, in the order they were created."""
        with Session(self._engine) as session:
            rows = session.exec(select(ClientRow).order_by(ClientRow.created_at,
                                                           ClientRow.client_id)).all()
            return [_client(row) for row in rows]

    def revoke(self, client_id: str) -> OAuthClient:
        """Mark ``client_id`` revoked (it stays listed); revoking twice changes nothing.

        Raises:
            UnknownClient: no client has that id.
        """
        with Session(self._engine) as session:
            row = session.get(ClientRow, client_id)
            if row is None:
                raise UnknownClient(client_id)
            if row.revoked_at is None:
                row.revoked_at = int(self._clock())
                session.add(row)
                session.commit()
                session.refresh(row)
            return _client(row)


def _ordered(scopes: frozenset[str]) -> list[str]:
    return [s for s in SCOPES if s in scopes]
