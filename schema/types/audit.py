"""The audit trail, for administrators: ``Query.auditLog`` (needs ``READ_AUDIT``).

Entries come newest first, as a Relay connection whose cursors hold the entry's place in
the chain (``seq``), so a page never shifts while new entries arrive. Reading the trail is
itself recorded in it (:func:`record_audit_read`: a ``READ_AUDIT`` entry naming who read,
from where, under which request id, with which filters, and which entries were served). The
trail itself, its chain and its verification are in :mod:`auth.audit`.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from enum import StrEnum
from typing import Final

import strawberry
from sqlalchemy import Engine
from strawberry.relay import PageInfo
from strawberry.scalars import JSON

from auth.audit_events import AuditAction as AuditActionModel
from auth.audit_events import AuditEvent
from auth.audit_store import AuditRecord, list_records
from schema.arguments import MAX_PAGE_SIZE
from schema.context import Context
from schema.errors import InvalidArgument

__all__ = ["AuditAction", "AuditConnection", "AuditEntry", "AuditEntryEdge", "audit_page",
           "record_audit_read"]

_PREFIX: Final = "audit:"

AuditAction = strawberry.enum(
    StrEnum("AuditAction", [(member.name, member.value) for member in AuditActionModel]),
    description="What an audit entry records: READ_PERSONAL (personal data served in "
    "clear), CHANGE (stored data changed), LOGIN, TOKEN (issued, refreshed, revoked, a "
    "refresh token reused), ADMINISTRATION (clients, users, keys), DENIED (refused for "
    "want of rights), READ_AUDIT (the audit trail itself was read).")


@strawberry.type(description="One entry of the audit trail: who (client, user) did what, to "
                 "which objects, when and from where. Entries are chained with a keyed MAC "
                 "(`loanwatch audit verify` checks them).")
class AuditEntry:
    seq: strawberry.ID = strawberry.field(description="The entry's place in the chain "
                                          "(1, 2, 3, ... with no gap).")
    at: datetime = strawberry.field(description="When it happened (UTC).")
    action: AuditAction = strawberry.field(  # type: ignore[valid-type]
        description="What was done (a read of personal data, a change, a login...).")
    client_id: str = strawberry.field(description="The OAuth client the request came "
                                      "through (`cli` for the command line).")
    user: str | None = strawberry.field(description="The user's login; null for an "
                                        "integration.")
    operation: str = strawberry.field(description="What was done: a GraphQL operation and "
                                      "field, a mutation, an endpoint, a command.")
    targets: list[strawberry.ID] = strawberry.field(description="The ids of the objects "
                                                    "read or changed.")
    source: str = strawberry.field(description="The caller's address, or `cli`.")
    request_id: str = strawberry.field(description="The request id the logs carry too.")
    detail: JSON = strawberry.field(description="Anything else recorded: fields read, "
                                    "outcome, reason.")
    mac: str = strawberry.field(description="The entry's HMAC-SHA256 in the chain (hex).")


@strawberry.type(description="One audit entry of a page, with its cursor.")
class AuditEntryEdge:
    cursor: str = strawberry.field(description="Pass as `after` to read older entries.")
    node: AuditEntry = strawberry.field(description="The entry.")


@strawberry.type(description="A page of audit entries, newest first.")
class AuditConnection:
    edges: list[AuditEntryEdge] = strawberry.field(description="The page's entries.")
    page_info: PageInfo = strawberry.field(description="Where the page lies.")

    @classmethod
    def from_page(cls, records: Sequence[AuditRecord], size: int, *,
                  after: str | None) -> AuditConnection:
        """``records`` fetched newest first: the page (``size``) and at most one more."""
        edges = [AuditEntryEdge(cursor=_cursor(r.seq), node=_entry(r)) for r in records[:size]]
        return cls(edges=edges, page_info=PageInfo(
            has_next_page=len(records) > size, has_previous_page=after is not None,
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None))


def _cursor(seq: int) -> str:
    return base64.urlsafe_b64encode(f"{_PREFIX}{seq}".encode()).decode()


def _below(after: str | None) -> int | None:
    """The ``seq`` the page after ``after`` starts below (``None``: the newest entries).

    Raises:
        InvalidArgument: ``after`` is not a cursor of ``auditLog``.
    """
    if after is None:
        return None
    try:
        text = base64.urlsafe_b64decode(after.encode()).decode()
    except (binascii.Error, UnicodeError, ValueError):
        text = ""
    number = text.removeprefix(_PREFIX)
    if not text.startswith(_PREFIX) or not number.isdigit():
        raise InvalidArgument(f"after: {after!r} is not a cursor of auditLog",
                              suggestion="pass an endCursor from a previous page")
    return int(number)


def _utc(at: datetime | None) -> datetime | None:
    """``at``, taken as UTC when it names no zone."""
    if at is None or at.tzinfo is not None:
        return at
    return at.replace(tzinfo=UTC)


def _entry(record: AuditRecord) -> AuditEntry:
    return AuditEntry(
        seq=strawberry.ID(str(record.seq)), at=record.at,
        action=AuditAction(record.action), client_id=record.client_id, user=record.user,
        operation=record.operation, targets=[strawberry.ID(t) for t in record.targets],
        source=record.source, request_id=record.request_id, detail=record.detail,
        mac=record.mac)


async def audit_page(records: Engine | None, *, actor: str | None, action: StrEnum | None,
                     target: str | None, since: datetime | None, until: datetime | None,
                     first: int, after: str | None) -> AuditConnection:
    """The page of ``Query.auditLog``: ``first`` entries after the cursor ``after``.

    Raises:
        InvalidArgument: ``first`` is not in 1..MAX_PAGE_SIZE, or ``after`` is not a cursor
            of this connection.
    """
    if not 1 <= first <= MAX_PAGE_SIZE:
        raise InvalidArgument(f"first must be between 1 and {MAX_PAGE_SIZE}, got {first}")
    below = _below(after)
    if records is None:
        return AuditConnection.from_page([], first, after=after)
    found = await asyncio.to_thread(
        list_records, records, actor=actor,
        action=None if action is None else AuditActionModel(action.value),
        target=None if target is None else str(target), since=_utc(since),
        until=_utc(until), before_seq=below, limit=first + 1)
    return AuditConnection.from_page(found, first, after=after)


def record_audit_read(context: Context, *, operation: str | None,
                      filters: Mapping[str, object], page: AuditConnection) -> None:
    """Record in the trail that the caller of ``context`` read ``page`` of it with
    ``filters`` (the arguments of ``auditLog``; those not given are left out) in the
    GraphQL operation named ``operation``.

    Called before the page is answered: when the event cannot be accepted
    (:class:`auth.errors.AuditError`, the trail's backlog full) the read fails instead of
    going unrecorded.
    """
    if context.audit is None:
        return
    principal = context.principal
    seqs = [int(edge.node.seq) for edge in page.edges]
    used = {name: value.isoformat() if isinstance(value, datetime)
            else value if isinstance(value, int) else str(value)
            for name, value in filters.items() if value is not None}
    context.audit.record(AuditEvent(
        at=datetime.now(UTC), action=AuditActionModel.READ_AUDIT,
        client_id=principal.client_id if principal else "",
        user=principal.user if principal else None,
        operation=f"graphql {operation or '(anonymous)'} auditLog",
        source=context.source, request_id=context.request_id,
        detail={"filters": used, "entries": len(seqs),
                "seqs": [seqs[0], seqs[-1]] if seqs else []}))
