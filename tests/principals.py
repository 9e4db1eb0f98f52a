"""Callers for tests: one principal per role (every scope its role can use), a verifier
of static tokens, and an audit sink that keeps what it is given.

The real verifier checks signed JWTs (``auth.access_tokens``); the API only needs a
:class:`auth.principal.TokenVerifier`, so tests hand it :class:`StaticTokens`: the token
``"<role>-token"`` stands for :func:`principal_of` that role.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping

from auth.audit_events import AuditAction, AuditEvent
from auth.errors import InvalidToken
from auth.principal import SCOPES, Principal, Role

__all__ = ["ListAuditSink", "StaticTokens", "principal_of", "token_of", "tokens"]


def principal_of(role: Role, scopes: Iterable[str] = SCOPES, *,
                 client_id: str | None = None) -> Principal:
    """A caller of ``role`` whose token was granted ``scopes`` (by default all)."""
    user = None if role is Role.INTEGRATION else f"{role.value}-user"
    return Principal(subject=f"client:{client_id or role.value}" if user is None
                     else f"user:{user}", client_id=client_id or f"{role.value}-client",
                     role=role, scopes=frozenset(scopes), user=user,
                     token_id=f"jti-{role.value}")


def token_of(role: Role) -> str:
    """The static token of ``role`` (see :func:`tokens`)."""
    return f"{role.value}-token"


def tokens() -> dict[str, Principal]:
    """A token for every role, each standing for that role with every scope."""
    return {token_of(role): principal_of(role) for role in Role}


class StaticTokens:
    """A :class:`auth.principal.TokenVerifier` over a fixed table of tokens."""

    def __init__(self, table: Mapping[str, Principal] | None = None) -> None:
        self.table = dict(tokens() if table is None else table)
        self.verified = 0

    async def verify(self, token: str) -> Principal:
        self.verified += 1
        principal = self.table.get(token)
        if principal is None:
            raise InvalidToken("the access token is expired or unknown")
        return principal


class ListAuditSink:
    """An :class:`auth.audit_events.AuditSink` that keeps every event, in order."""

    def __init__(self) -> None:
        self.events: list[AuditEvent] = []
        self._lock = threading.Lock()

    def record(self, event: AuditEvent) -> None:
        with self._lock:
            self.events.append(event)

    def of(self, action: AuditAction) -> list[AuditEvent]:
        """The events of ``action``."""
        return [event for event in self.events if event.action is action]

    def outcomes(self, action: AuditAction) -> list[object]:
        """The ``outcome`` in the detail of each event of ``action``."""
        return [event.detail.get("outcome") for event in self.of(action)]
