"""Subscriptions pass the same gate as queries: refused before their source starts, and
each streamed result that shows personal data in clear is audited on its own.

The schema has no subscription of its own yet, so this one is built here with the same
extensions :func:`schema.build_schema` installs.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import strawberry

from auth.audit_events import AuditAction
from auth.principal import SCOPES, Principal, Right, Role
from schema import build_context
from schema.authorization import AccessRules, FieldRights
from schema.context import Info
from schema.permissions import needs, personal
from schema.personal_reads import PersonalReads, watch_personal_fields
from tests.principals import ListAuditSink, principal_of
from tests.schema.sample import CountingStore, sqlite_engine

STARTED: list[str] = []


@strawberry.type
class Watched:
    node_id: strawberry.Private[str]

    @strawberry.field(metadata=personal())
    def name(self, info: Info) -> str:
        return "Zhang Wei" if info.context.personal_data_visible else "Zhang *"


@strawberry.type
class Query:
    @strawberry.field
    def ok(self) -> int:
        return 1


@strawberry.type
class Subscription:
    @strawberry.subscription(metadata=needs(Right.READ_AUDIT))
    async def audit_feed(self) -> AsyncGenerator[int, None]:
        STARTED.append("auditFeed")
        yield 1

    @strawberry.subscription
    async def people(self) -> AsyncGenerator[Watched, None]:
        for node_id in ("P1", "P2"):
            yield Watched(node_id=node_id)


def _schema() -> strawberry.Schema:
    built = strawberry.Schema(query=Query, subscription=Subscription, extensions=[
        partial(FieldRights, rules=AccessRules()), PersonalReads])
    watch_personal_fields(built._schema)
    return built


def _subscribe(document: str, role: Role, audit: ListAuditSink, tmp_path: Path) -> list[Any]:
    store = CountingStore(sqlite_engine(tmp_path / "graph.db"))

    async def run() -> list[Any]:
        context = build_context(store, principal=principal_of(role), audit=audit)
        stream = await _schema().subscribe(document, context_value=context)
        return [result async for result in stream]

    try:
        return asyncio.run(run())
    finally:
        store.close()


def test_a_subscription_without_its_right_is_refused_before_it_starts(tmp_path: Path
                                                                      ) -> None:
    STARTED.clear()
    audit = ListAuditSink()
    [result] = _subscribe("subscription { auditFeed }", Role.ANALYST, audit, tmp_path)
    assert result.data is None
    assert [e.extensions for e in result.errors] == [
        {"code": "FORBIDDEN", "field": "Subscription.auditFeed", "right": "read-audit"}]
    assert STARTED == []
    assert [e.action for e in audit.events] == [AuditAction.DENIED]

    [allowed] = _subscribe("subscription { auditFeed }", Role.ADMIN, ListAuditSink(),
                           tmp_path)
    assert allowed.errors is None and allowed.data == {"auditFeed": 1}


def test_each_streamed_result_in_clear_is_audited(tmp_path: Path) -> None:
    audit = ListAuditSink()
    results = _subscribe("subscription { people { name } }", Role.INVESTIGATOR, audit,
                         tmp_path)
    assert [r.data for r in results] == [{"people": {"name": "Zhang Wei"}}] * 2
    assert [e.targets for e in audit.of(AuditAction.READ_PERSONAL)] == [("P1",), ("P2",)]

    masked = ListAuditSink()
    results = _subscribe("subscription { people { name } }", Role.ANALYST, masked, tmp_path)
    assert [r.data for r in results] == [{"people": {"name": "Zhang *"}}] * 2
    assert masked.events == []


def test_an_expired_token_is_refused_for_each_new_operation(tmp_path: Path) -> None:
    expired = Principal(subject="user:ana", client_id="console", role=Role.ADMIN,
                        scopes=frozenset(SCOPES), user="ana",
                        expires_at=datetime.now(UTC) - timedelta(seconds=1))
    store = CountingStore(sqlite_engine(tmp_path / "graph.db"))

    async def run() -> tuple[Any, list[Any]]:
        context = build_context(store, principal=expired)
        query = await _schema().execute("{ ok }", context_value=context)
        stream = await _schema().subscribe("subscription { auditFeed }",
                                           context_value=context)
        return query, [result async for result in stream]

    try:
        query, [streamed] = asyncio.run(run())
    finally:
        store.close()
    for result in (query, streamed):
        assert result.data is None
        assert [e.extensions["code"] for e in result.errors] == ["UNAUTHENTICATED"]
