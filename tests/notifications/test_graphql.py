"""The ``notifications`` query: the outbox newest first, filtered by status, channel and
party, paged as a Relay connection; never the address a message went to. The
``retryNotification`` mutation: a dead notification sent again, once, audited."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine

from auth.principal import Role
from graph.stores.embedded import EmbeddedGraphStore
from graph.vault import PersonalDataVault
from notifications.channels.http_gateway import HttpGatewayChannel
from notifications.contacts import GraphContacts
from notifications.delivery import deliver_due
from notifications.outbox import list_notifications
from schema import build_context, build_schema
from tests.notifications.delivery_setup import NOW, PHONE, Clock, contacts_graph, queue
from tests.notifications.servers import gateway
from tests.principals import ListAuditSink, principal_of

QUERY = """
query Outbox($status: NotificationStatus, $channel: NotificationChannel, $party: ID,
             $first: Int! = 10, $after: String) {
  notifications(status: $status, channel: $channel, party: $party, first: $first,
                after: $after) {
    edges { cursor node { number key channel partyId template context status attempts
                          lastError providerMessageId sentAt } }
    pageInfo { hasNextPage endCursor }
  }
}
"""


@pytest.fixture
def graph(sqlite_engine: Engine) -> Iterator[EmbeddedGraphStore]:
    store = contacts_graph(sqlite_engine, PersonalDataVault.development())
    yield store
    store.close()


def _run(graph: EmbeddedGraphStore, engine: Engine, **variables: Any) -> Any:
    result = asyncio.run(build_schema(mask_errors=False).execute(
        QUERY, variable_values=variables,
        context_value=build_context(graph, records=engine,
                                    principal=principal_of(Role.ANALYST))))
    return result


def test_the_outbox_filtered_and_paged(sqlite_engine: Engine,
                                       graph: EmbeddedGraphStore) -> None:
    queue(sqlite_engine, "a", channel="sms")
    queue(sqlite_engine, "b", channel="file", party="P2", not_before=NOW + timedelta(days=1))
    queue(sqlite_engine, "c", channel="sms", party="C1")
    with gateway() as server:
        deliver_due(sqlite_engine, {"sms": HttpGatewayChannel("sms", server.url)},
                    GraphContacts(graph), vault=PersonalDataVault.development(), clock=Clock())

    result = _run(graph, sqlite_engine)
    assert result.errors is None, result.errors
    nodes = [edge["node"] for edge in result.data["notifications"]["edges"]]
    assert [(n["key"], n["status"], n["channel"]) for n in nodes] == [
        ("c", "SENT", "SMS"), ("b", "PENDING", "FILE"), ("a", "SENT", "SMS")]
    assert nodes[2]["context"] == {"loan_id": "L1", "amount": "1250.50", "currency": "CNY",
                                   "due_date": "2026-12-15"}
    assert nodes[2]["providerMessageId"] == "gw-1" and nodes[2]["attempts"] == 1
    assert PHONE not in str(result.data)

    sent = _run(graph, sqlite_engine, status="SENT", channel="SMS", party="C1")
    assert [e["node"]["key"] for e in sent.data["notifications"]["edges"]] == ["c"]
    first = _run(graph, sqlite_engine, first=2).data["notifications"]
    assert first["pageInfo"]["hasNextPage"] is True
    rest = _run(graph, sqlite_engine, first=2, after=first["pageInfo"]["endCursor"])
    assert [e["node"]["key"] for e in rest.data["notifications"]["edges"]] == ["a"]
    assert rest.data["notifications"]["pageInfo"]["hasNextPage"] is False


def test_a_bad_filter_is_refused_by_the_schema(sqlite_engine: Engine,
                                               graph: EmbeddedGraphStore) -> None:
    result = _run(graph, sqlite_engine, status="LOST")
    assert result.errors is not None
    assert "NotificationStatus" in result.errors[0].message


RETRY = """
mutation Retry($number: Int!) {
  retryNotification(input: {number: $number}) {
    __typename
    ... on NotificationRetried { notification { number status attempts lastError } }
    ... on AlreadyDecided { code state }
    ... on NotFound { code message }
  }
}
"""


def test_a_collector_sends_a_dead_notification_again(sqlite_engine: Engine,
                                                     graph: EmbeddedGraphStore) -> None:
    queue(sqlite_engine, "dead-one", channel="sms")
    with gateway(400) as refusing:  # refused for good: dead at once
        deliver_due(sqlite_engine, {"sms": HttpGatewayChannel("sms", refusing.url)},
                    GraphContacts(graph), vault=PersonalDataVault.development(), clock=Clock())
    [dead] = list_notifications(sqlite_engine, status="dead")
    audit = ListAuditSink()

    def retry(number: int, role: Role = Role.COLLECTOR) -> Any:
        return asyncio.run(build_schema(mask_errors=False).execute(
            RETRY, variable_values={"number": number},
            context_value=build_context(graph, records=sqlite_engine, audit=audit,
                                        principal=principal_of(role))))

    refused = retry(dead.id, Role.ANALYST)
    assert refused.data is None and refused.errors[0].extensions["code"] == "FORBIDDEN"
    done = retry(dead.id).data["retryNotification"]
    assert done["__typename"] == "NotificationRetried"
    assert (done["notification"]["status"], done["notification"]["attempts"]) == ("PENDING", 0)
    again = retry(dead.id).data["retryNotification"]
    assert (again["__typename"], again["code"], again["state"]) == (
        "AlreadyDecided", "ALREADY_DECIDED", "pending")
    missing = retry(999).data["retryNotification"]
    assert (missing["__typename"], missing["code"]) == ("NotFound", "NOT_FOUND")
    [entry] = [e for e in audit.events if e.operation == "mutation retryNotification"]
    assert entry.targets == (f"notification:{dead.id}",) and entry.user is not None

    with gateway() as working:  # the next pass sends it (the retry is due at the wall clock)
        report = deliver_due(sqlite_engine, {"sms": HttpGatewayChannel("sms", working.url)},
                             GraphContacts(graph), vault=PersonalDataVault.development(),
                             clock=Clock(datetime.now(UTC) + timedelta(seconds=1)))
    assert report.sent == 1 and len(working.requests) == 1
