"""What the delivery tests share: a graph of three parties, a clock they move, channels
on real servers, and a helper that queues a notification."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine

from graph.identifier_ids import identifier_node_id
from graph.model import Edge, Label, Node, RelType
from graph.stores.embedded import EmbeddedGraphStore
from graph.vault import PersonalDataVault
from notifications.outbox import queue_notification

__all__ = ["NOW", "PHONE", "REMINDER", "Clock", "contacts_graph", "queue"]

NOW = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
PHONE = "+8613800138000"
EMAIL = "li.na@example.com"
REMINDER: dict[str, Any] = {"loan_id": "L1", "amount": Decimal("1250.50"), "currency": "CNY",
                            "due_date": date(2026, 12, 15)}
_KEY = b"notification-tests-identifier-key-0123"


@dataclass
class Clock:
    now: datetime = NOW

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def contacts_graph(engine: Engine, vault: PersonalDataVault) -> EmbeddedGraphStore:
    """P1 (a person with an e-mail address and a phone), P2 (a person with neither),
    C1 (a company with a phone), in an embedded graph sealed by ``vault``."""
    graph = EmbeddedGraphStore(engine, vault=vault)
    phone = Node(identifier_node_id("phone", PHONE, _KEY), Label.PHONE, {"value": PHONE})
    graph.upsert_nodes([
        Node("P1", Label.PERSON, {"name": "Li Na", "email": EMAIL}),
        Node("P2", Label.PERSON, {"name": "Wang Fang"}),
        Node("C1", Label.COMPANY, {"name": "Silk Co"}),
        phone,
    ])
    graph.upsert_edges([Edge(RelType.USES, "P1", phone.id), Edge(RelType.USES, "C1", phone.id)])
    return graph


def queue(engine: Engine, key: str, *, channel: str, party: str = "P1",
          not_before: datetime = NOW) -> None:
    with engine.begin() as connection:
        assert queue_notification(connection, key=key, channel=channel, party_id=party,
                                  template="payment_reminder", context=REMINDER,
                                  not_before=not_before)
