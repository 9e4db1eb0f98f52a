"""The ``notifications`` query: the outbox newest first, filtered by status, channel and
party, paged as a Relay connection; never the address a message went to."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Engine

from auth.principal import Role
from graph.stores.embedded import EmbeddedGraphStore
from graph.vault import PersonalDataVault
from notifications.channels.http_gateway import HttpGatewayChannel
from notifications.contacts import GraphContacts
from notifications.delivery import deliver_due
from schema import build_context, build_schema
from tests.notifications.delivery_setup import NOW, PHONE, Clock, contacts_graph, queue
from tests.notifications.servers import gateway
from tests.principals import principal_of

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
