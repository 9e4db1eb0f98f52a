"""What the audit trail records, and the interface every writer of it offers.

The API, the OAuth server and the CLI describe what happened as an :class:`AuditEvent`
and hand it to an :class:`AuditSink`. A sink must not make the caller wait on storage
(requests are never serialised behind the trail) and must never lose an event it
accepted: the trail buffers, chains and writes in batches (see :mod:`auth.audit`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Protocol

__all__ = ["AuditAction", "AuditEvent", "AuditSink"]


class AuditAction(StrEnum):
    """The kinds of thing the trail records."""

    #: Personal data was served in clear (``target``: the node ids; ``detail``: fields).
    READ_PERSONAL = "read-personal"
    #: A mutation changed stored data (``target``: what it changed).
    CHANGE = "change"
    #: A user logged in, or failed to (``detail["outcome"]``).
    LOGIN = "login"
    #: A token was issued, refreshed, revoked, or a refresh token was reused.
    TOKEN = "token"
    #: An OAuth client, user, key or setting was created, changed or removed.
    ADMINISTRATION = "administration"
    #: A request was refused for want of rights (403).
    DENIED = "denied"
    #: The audit trail itself was read (``Query.auditLog``; ``detail``: the filters used,
    #: the entries served).
    READ_AUDIT = "read-audit"


@dataclass(frozen=True, slots=True)
class AuditEvent:
    """One thing that happened: who (client, user), what, to what, when, from where."""

    at: datetime
    action: AuditAction
    #: The OAuth client the request came through ("cli" for the command line).
    client_id: str
    #: The user's login, ``None`` for an integration or before login.
    user: str | None
    #: What was done, in a few words: a GraphQL operation name and field, a mutation, an
    #: endpoint ("POST /oauth/token"), a command ("clients create").
    operation: str
    #: The ids of the objects read or changed (node ids, client ids); may be empty.
    targets: tuple[str, ...] = ()
    #: The caller's address ("127.0.0.1"), or "cli".
    source: str = ""
    #: The request id the JSON logs carry too ("" outside a request).
    request_id: str = ""
    #: Anything else worth keeping (field names read, outcome, reason); plain JSON values.
    detail: Mapping[str, object] = field(default_factory=dict)


class AuditSink(Protocol):
    """Where audit events go."""

    def record(self, event: AuditEvent) -> None:
        """Accept ``event``; returns at once, never loses an accepted event."""
        ...
