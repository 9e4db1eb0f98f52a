"""``Query.auditLog`` on SQLite and PostgreSQL: filters, Relay pages that do not shift as
entries arrive, bad arguments refused with a code, and the right it declares."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine
from strawberry.types import ExecutionResult

from auth.audit_events import AuditAction
from auth.audit_store import list_records
from auth.principal import Right, Role
from graph.stores.embedded import EmbeddedGraphStore
from schema import build_context, build_schema
from schema.permissions import declared_right
from schema.query import Query
from tests.audit.trails import event, trail, verify
from tests.portfolio.databases import database, postgres_engine, sqlite_engine
from tests.principals import principal_of

__all__ = ["database", "postgres_engine", "sqlite_engine"]

SCHEMA = build_schema(mask_errors=True)

AUDIT_LOG = """
query AuditLog($actor: String, $action: AuditAction, $target: ID, $since: DateTime,
               $until: DateTime, $first: Int! = 20, $after: String) {
  auditLog(actor: $actor, action: $action, target: $target, since: $since, until: $until,
           first: $first, after: $after) {
    edges { cursor node { seq at action clientId user operation targets source requestId
                          detail mac } }
    pageInfo { hasNextPage hasPreviousPage endCursor }
  }
}
"""


def _run(engine: Engine | None, store: EmbeddedGraphStore, **variables: Any) -> ExecutionResult:
    async def run() -> ExecutionResult:
        return await SCHEMA.execute(AUDIT_LOG, variable_values=variables,
                                    context_value=build_context(
                                        store, records=engine,
                                        principal=principal_of(Role.ADMIN)))

    return asyncio.run(run())


def _seqs(result: ExecutionResult) -> list[str]:
    assert result.errors is None, result.errors
    assert result.data is not None
    return [edge["node"]["seq"] for edge in result.data["auditLog"]["edges"]]


@pytest.fixture
def store(database: Engine) -> EmbeddedGraphStore:
    """Six entries in ``database``: ann reads P1..P4, etl changes L9, bob is denied."""
    sink = trail(database)
    for i in range(4):
        sink.record(event(i, user="ann", targets=(f"P{i + 1}",)))
    sink.record(event(4, user=None, client_id="etl", action=AuditAction.CHANGE,
                      targets=("L9",)))
    sink.record(event(5, user="bob", action=AuditAction.DENIED, targets=()))
    sink.close()
    return EmbeddedGraphStore(database)


def test_entries_come_newest_first_with_every_field(database: Engine,
                                                    store: EmbeddedGraphStore) -> None:
    result = _run(database, store)
    assert _seqs(result) == ["6", "5", "4", "3", "2", "1"]
    assert result.data is not None
    node = result.data["auditLog"]["edges"][2]["node"]
    assert node == {"seq": "4", "at": "2026-12-01T09:00:03+00:00", "action": "READ_PERSONAL",
                    "clientId": "console", "user": "ann", "operation": "query Borrower #3",
                    "targets": ["P4"], "source": "10.0.0.7", "requestId": "req-3",
                    "detail": {"fields": ["name"], "i": 3}, "mac": node["mac"]}
    assert len(node["mac"]) == 64


def test_filters(database: Engine, store: EmbeddedGraphStore) -> None:
    assert _seqs(_run(database, store, actor="ann")) == ["4", "3", "2", "1"]
    assert _seqs(_run(database, store, actor="etl")) == ["5"]
    assert _seqs(_run(database, store, action="DENIED")) == ["6"]
    assert _seqs(_run(database, store, target="P2")) == ["2"]
    assert _seqs(_run(database, store, since="2026-12-01T09:00:01Z",
                      until="2026-12-01T10:00:03+01:00")) == ["3", "2"]
    assert _seqs(_run(database, store, actor="ann", action="CHANGE")) == []


def test_pages_follow_the_cursor_and_do_not_shift_when_entries_arrive(
        database: Engine, store: EmbeddedGraphStore) -> None:
    first = _run(database, store, first=4)
    assert _seqs(first) == ["6", "5", "4", "3"]
    assert first.data is not None
    info = first.data["auditLog"]["pageInfo"]
    assert info["hasNextPage"] is True and info["hasPreviousPage"] is False
    sink = trail(database)
    sink.record(event(6, user="carl"))  # a new entry arrives between the pages
    sink.close()
    second = _run(database, store, first=4, after=info["endCursor"])
    assert _seqs(second) == ["2", "1"]
    assert second.data is not None
    assert second.data["auditLog"]["pageInfo"]["hasNextPage"] is False


@pytest.mark.parametrize(("variables", "message"), [
    ({"first": 0}, "first must be between 1 and 100, got 0"),
    ({"first": 1000}, "first must be between 1 and 100, got 1000"),
    ({"after": "b2Zmc2V0OjM="}, "is not a cursor of auditLog"),
])
def test_bad_arguments_are_refused_with_a_code(database: Engine, store: EmbeddedGraphStore,
                                               variables: dict[str, Any],
                                               message: str) -> None:
    result = _run(database, store, **variables)
    assert result.errors is not None
    assert message in result.errors[0].message
    assert (result.errors[0].extensions or {}).get("code") == "BAD_USER_INPUT"


def test_no_records_database_answers_an_empty_page(sqlite_engine: Engine) -> None:
    assert _seqs(_run(None, EmbeddedGraphStore(sqlite_engine))) == []


def test_the_field_declares_the_audit_right() -> None:
    fields = {f.python_name: f for f in Query.__strawberry_definition__.fields}  # type: ignore[attr-defined]
    assert declared_right(fields["audit_log"].metadata) == Right.READ_AUDIT


def test_reading_the_trail_is_itself_recorded_and_verifies(
        database: Engine, store: EmbeddedGraphStore, tmp_path: Path) -> None:
    heads = tmp_path / "heads.jsonl"
    sink = trail(database, heads)
    reader = principal_of(Role.ADMIN)

    async def read(**variables: Any) -> ExecutionResult:
        return await SCHEMA.execute(AUDIT_LOG, variable_values=variables, context_value=(
            build_context(store, records=database, principal=reader, audit=sink,
                          request_id="req-audit-1", source="10.9.8.7")))

    result = asyncio.run(read(actor="ann", since="2026-12-01T09:00:01Z", first=2))
    sink.close()  # drains the queue and exports the signed head

    assert _seqs(result) == ["4", "3"]
    [entry] = list_records(database, action=AuditAction.READ_AUDIT)
    assert (entry.seq, entry.client_id, entry.user, entry.source, entry.request_id) == (
        7, reader.client_id, reader.user, "10.9.8.7", "req-audit-1")
    assert entry.operation == "graphql AuditLog auditLog"
    assert entry.detail == {"filters": {"actor": "ann", "since": "2026-12-01T09:00:01+00:00",
                                        "first": 2}, "entries": 2, "seqs": [4, 3]}
    report = verify(database, heads)
    assert report.ok, report.problems
    assert (report.entries, report.signed_up_to) == (7, 7)
    # The new action is one auditLog filters on, like any other.
    assert _seqs(_run(database, store, action="READ_AUDIT")) == ["7"]
