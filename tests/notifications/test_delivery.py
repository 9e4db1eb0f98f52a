"""Delivery through real servers: an SMTP server (aiosmtpd) and an HTTP gateway started by
the tests, answering as each test says; the outbox on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import threading
from collections import Counter
from collections.abc import Iterator
from email import message_from_bytes
from email.policy import default as default_policy
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from graph.stores.embedded import EmbeddedGraphStore
from graph.vault import PersonalDataVault
from notifications.channels.base import OutgoingMessage
from notifications.channels.file import FileChannel
from notifications.channels.http_gateway import HttpGatewayChannel
from notifications.channels.smtp import SmtpChannel, message_id
from notifications.contacts import GraphContacts
from notifications.delivery import DeliveryPolicy, DeliveryReport, deliver_due
from notifications.outbox import claim_due, get_notification, list_notifications
from portfolio.database import create_sql_engine
from portfolio.notifications import SENT_TO_FIELD
from tests.notifications.delivery_setup import (
    EMAIL,
    NOW,
    PHONE,
    Clock,
    contacts_graph,
    queue,
)
from tests.notifications.servers import free_port, gateway, smtp_server

VAULT = PersonalDataVault.development()
POLICY = DeliveryPolicy(max_attempts=3, retry_base_s=60, retry_max_s=600)


@pytest.fixture
def graph(database: Engine) -> Iterator[EmbeddedGraphStore]:
    store = contacts_graph(database, VAULT)
    yield store
    store.close()


def _only(engine: Engine) -> object:
    [row] = list_notifications(engine)
    return row


def test_an_email_goes_through_a_real_smtp_server_once(database: Engine,
                                                       graph: EmbeddedGraphStore) -> None:
    queue(database, "reminder:L1", channel="email")
    with smtp_server() as smtp:
        channels = {"email": SmtpChannel("127.0.0.1", smtp.port, "collections@bank.example")}
        report = deliver_due(database, channels, GraphContacts(graph), vault=VAULT,
                             clock=Clock(), policy=POLICY)
        again = deliver_due(database, channels, GraphContacts(graph), vault=VAULT,
                            clock=Clock(), policy=POLICY)

    assert report == DeliveryReport(sent=1) and again == DeliveryReport()
    [envelope] = smtp.received
    assert envelope.rcpt_tos == [EMAIL]
    email = message_from_bytes(envelope.original_content, policy=default_policy)
    assert email["Subject"] == "Payment due on 2026-12-15"
    assert email["Message-ID"] == message_id("reminder:L1", "bank.example")
    assert "Dear Li Na, the installment of 1250.50 CNY on loan L1" in email.get_content()
    row = get_notification(database, 1)
    assert (row.status, row.attempts, row.provider_message_id, row.last_error) == (
        "sent", 1, email["Message-ID"], None)
    # The address it went to is kept sealed, and opens to the address.
    assert row.sent_to is not None and row.sent_to.startswith("lw1$")
    assert VAULT.open_text(SENT_TO_FIELD, row.sent_to) == EMAIL
    # The e-mail address is personal data: the graph keeps it sealed too.
    with database.connect() as connection:
        stored = " ".join(str(value) for value in connection.execute(
            text("SELECT * FROM graph_node WHERE id = 'P1'")).one())
    assert EMAIL not in stored and "Li Na" not in stored


def test_an_sms_goes_to_the_http_gateway_with_its_key_and_token(
        database: Engine, graph: EmbeddedGraphStore) -> None:
    queue(database, "reminder:L1", channel="sms")
    with gateway() as server:
        channels = {"sms": HttpGatewayChannel("sms", server.url, token="s3cret")}
        report = deliver_due(database, channels, GraphContacts(graph), vault=VAULT,
                             clock=Clock(), policy=POLICY)

    assert report == DeliveryReport(sent=1)
    [request] = server.requests
    assert request.headers["authorization"] == "Bearer s3cret"
    assert request.headers["idempotency-key"] == "reminder:L1"
    assert request.body["to"] == PHONE and request.body["channel"] == "sms"
    assert request.body["body"].startswith("Dear Li Na, the installment of 1250.50 CNY")
    assert get_notification(database, 1).provider_message_id == "gw-1"


def test_a_failing_gateway_is_retried_with_backoff_then_dead(
        database: Engine, graph: EmbeddedGraphStore) -> None:
    queue(database, "reminder:L1", channel="sms")
    clock = Clock()
    with gateway(503) as server:
        channels = {"sms": HttpGatewayChannel("sms", server.url)}

        def deliver() -> DeliveryReport:
            return deliver_due(database, channels, GraphContacts(graph), vault=VAULT,
                               clock=clock, policy=POLICY)

        assert deliver() == DeliveryReport(retrying=1)
        row = get_notification(database, 1)
        assert (row.status, row.attempts) == ("failed", 1)
        assert row.next_attempt_at == NOW + POLICY.retry_delay(1)
        assert "answered 503" in (row.last_error or "")
        clock.advance(59)
        assert deliver() == DeliveryReport()  # not yet due
        clock.advance(1)
        assert deliver() == DeliveryReport(retrying=1)
        assert get_notification(database, 1).next_attempt_at == clock.now + POLICY.retry_delay(2)
        clock.advance(120)
        assert deliver() == DeliveryReport(dead=1)
        clock.advance(3_600)
        assert deliver() == DeliveryReport()

    assert len(server.requests) == POLICY.max_attempts
    row = get_notification(database, 1)
    assert (row.status, row.attempts) == ("dead", 3)


def test_a_gateway_that_recovers_sends_on_the_retry(database: Engine,
                                                    graph: EmbeddedGraphStore) -> None:
    queue(database, "reminder:L1", channel="chat", party="C1")
    clock = Clock()
    with gateway(502, 200) as server:
        channels = {"chat": HttpGatewayChannel("chat", server.url)}
        first = deliver_due(database, channels, GraphContacts(graph), vault=VAULT,
                            clock=clock, policy=POLICY)
        clock.advance(60)
        second = deliver_due(database, channels, GraphContacts(graph), vault=VAULT,
                             clock=clock, policy=POLICY)

    assert (first, second) == (DeliveryReport(retrying=1), DeliveryReport(sent=1))
    assert [r.body["reference"] for r in server.requests] == ["reminder:L1"] * 2
    row = get_notification(database, 1)
    assert (row.status, row.attempts, row.provider_message_id) == ("sent", 2, "gw-2")
    assert row.context["loan_id"] == "L1"


@pytest.mark.parametrize(("answer", "status"), [
    ("451 4.3.0 Mailbox busy, try later", "failed"),
    ("550 5.1.1 No such user", "dead"),
])
def test_smtp_refusals_are_transient_or_permanent_by_their_code(
        database: Engine, graph: EmbeddedGraphStore, answer: str, status: str) -> None:
    queue(database, "reminder:L1", channel="email")
    with smtp_server(answer=answer) as smtp:
        channels = {"email": SmtpChannel("127.0.0.1", smtp.port, "collections@bank.example")}
        deliver_due(database, channels, GraphContacts(graph), vault=VAULT, clock=Clock(),
                    policy=POLICY)

    row = get_notification(database, 1)
    assert (row.status, row.attempts, smtp.received) == (status, 1, [])
    assert answer.split()[0] in (row.last_error or "")


def test_an_smtp_server_that_is_down_is_a_transient_fault(database: Engine,
                                                          graph: EmbeddedGraphStore) -> None:
    queue(database, "reminder:L1", channel="email")
    channels = {"email": SmtpChannel("127.0.0.1", free_port(), "collections@bank.example",
                                     timeout_s=2)}
    report = deliver_due(database, channels, GraphContacts(graph), vault=VAULT,
                         clock=Clock(), policy=POLICY)

    assert report == DeliveryReport(retrying=1)
    assert "ConnectionRefusedError" in (get_notification(database, 1).last_error or "")


def test_a_graph_that_cannot_be_read_fails_each_message_of_the_batch_for_a_retry(
        database: Engine, tmp_path: Path) -> None:
    queue(database, "a", channel="sms")
    queue(database, "b", channel="sms", party="C1")
    # A real store on a database without the graph's tables: every read fails.
    broken = create_sql_engine(f"sqlite:///{tmp_path / 'no-graph.db'}")
    with gateway() as server:
        report = deliver_due(database, {"sms": HttpGatewayChannel("sms", server.url)},
                             GraphContacts(EmbeddedGraphStore(broken)), vault=VAULT,
                             clock=Clock(), policy=POLICY)
    broken.dispose()

    assert report == DeliveryReport(retrying=2) and server.requests == []
    for row in list_notifications(database):
        assert (row.status, row.attempts) == ("failed", 1)
        assert "no such table" in (row.last_error or "")


@pytest.mark.parametrize(("channel", "party", "error"), [
    ("sms", "P2", "party P2 has no address for sms"),
    ("email", "C1", "party C1 has no address for email"),
    ("sms", "P404", "party P404 is not in the graph"),
    ("chat", "P1", "the chat channel is not configured"),
])
def test_what_cannot_ever_be_sent_is_dead_at_once(
        database: Engine, graph: EmbeddedGraphStore, channel: str, party: str,
        error: str) -> None:
    queue(database, "k", channel=channel, party=party)
    with gateway(400) as server:
        channels = {"sms": HttpGatewayChannel("sms", server.url),
                    "email": HttpGatewayChannel("email", server.url)}
        report = deliver_due(database, channels, GraphContacts(graph), vault=VAULT,
                             clock=Clock(), policy=POLICY)

    assert report == DeliveryReport(dead=1)
    assert server.requests == []
    assert error in (get_notification(database, 1).last_error or "")


def test_a_gateway_refusing_the_request_kills_it_at_once(database: Engine,
                                                         graph: EmbeddedGraphStore) -> None:
    queue(database, "k", channel="sms")
    with gateway(400) as server:
        report = deliver_due(database, {"sms": HttpGatewayChannel("sms", server.url)},
                             GraphContacts(graph), vault=VAULT, clock=Clock(), policy=POLICY)
    assert report == DeliveryReport(dead=1) and len(server.requests) == 1


def test_two_workers_delivering_at_once_send_each_message_once(
        database: Engine, graph: EmbeddedGraphStore) -> None:
    for number in range(40):
        queue(database, f"reminder:{number:02d}", channel="sms")
    reports: list[DeliveryReport] = []
    with gateway() as server:
        channels = {"sms": HttpGatewayChannel("sms", server.url)}

        def worker() -> None:
            reports.append(deliver_due(
                database, channels, GraphContacts(graph), vault=VAULT, clock=Clock(),
                policy=DeliveryPolicy(batch=3)))

        threads = [threading.Thread(target=worker) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    sent = Counter(request.body["reference"] for request in server.requests)
    assert sorted(sent) == [f"reminder:{number:02d}" for number in range(40)]
    assert set(sent.values()) == {1}
    assert sum(report.sent for report in reports) == 40
    assert {row.status for row in list_notifications(database, limit=100)} == {"sent"}


def test_a_worker_that_stopped_mid_send_leaves_a_dead_letter_not_a_second_message(
        database: Engine, graph: EmbeddedGraphStore) -> None:
    queue(database, "k", channel="sms")
    claim_due(database, now=NOW, limit=1, token="f" * 32)  # then the worker was killed
    clock = Clock()
    with gateway() as server:
        channels = {"sms": HttpGatewayChannel("sms", server.url)}
        assert deliver_due(database, channels, GraphContacts(graph), vault=VAULT,
                           clock=clock, policy=POLICY) == DeliveryReport()
        clock.advance(POLICY.sending_lease_s)
        assert deliver_due(database, channels, GraphContacts(graph), vault=VAULT,
                           clock=clock, policy=POLICY) == DeliveryReport(expired=1)
    assert server.requests == []
    assert get_notification(database, 1).status == "dead"


def test_the_file_channel_writes_one_json_line_per_message(
        database: Engine, graph: EmbeddedGraphStore, tmp_path: Path) -> None:
    queue(database, "a", channel="file")
    queue(database, "b", channel="file", party="P2")
    channel = FileChannel(tmp_path / "outbox")

    report = deliver_due(database, {"file": channel}, GraphContacts(graph), vault=VAULT,
                         clock=Clock(), policy=POLICY)

    assert report == DeliveryReport(sent=2)
    lines = [json.loads(line) for line in channel.path.read_text().splitlines()]
    assert [(line["key"], line["party_id"], line["to"]) for line in lines] == [
        ("a", "P1", "**********8000"), ("b", "P2", None)]
    assert lines[1]["body"].startswith("Dear Wang Fang, the installment")
    assert get_notification(database, 1).provider_message_id == lines[0]["id"]


class SlowChannel:
    """A channel that takes ``seconds`` of the test's clock per message (a slow server)."""

    needs_address = False

    def __init__(self, clock: Clock, seconds: float) -> None:
        self.clock = clock
        self.seconds = seconds
        self.sent: list[str] = []

    def send(self, message: OutgoingMessage) -> str:
        self.clock.advance(self.seconds)
        self.sent.append(message.key)
        return message.key


def test_a_slow_channel_hands_back_what_it_could_not_try_in_half_the_lease(
        database: Engine, graph: EmbeddedGraphStore) -> None:
    for name in "abcde":
        queue(database, name, channel="file")
    clock = Clock()
    channel = SlowChannel(clock, 200)
    policy = DeliveryPolicy(batch=5, sending_lease_s=600)

    first = deliver_due(database, {"file": channel}, GraphContacts(graph), vault=VAULT,
                        clock=clock, policy=policy)

    assert first == DeliveryReport(sent=2) and channel.sent == ["a", "b"]
    waiting = {row.key: (row.status, row.attempts, row.claim_token)
               for row in list_notifications(database)}
    assert waiting == {"a": ("sent", 1, None), "b": ("sent", 1, None),
                       "c": ("pending", 0, None), "d": ("pending", 0, None),
                       "e": ("pending", 0, None)}
    channel.seconds = 1
    assert deliver_due(database, {"file": channel}, GraphContacts(graph), vault=VAULT,
                       clock=clock, policy=policy) == DeliveryReport(sent=3)
    assert channel.sent == ["a", "b", "c", "d", "e"]


def test_a_pass_claims_no_new_batch_past_its_budget(database: Engine,
                                                    graph: EmbeddedGraphStore) -> None:
    for name in "abcd":
        queue(database, name, channel="file")
    clock = Clock()
    channel = SlowChannel(clock, 60)
    policy = DeliveryPolicy(batch=1, pass_budget_s=100)

    assert deliver_due(database, {"file": channel}, GraphContacts(graph), vault=VAULT,
                       clock=clock, policy=policy) == DeliveryReport(sent=2)
    assert [row.status for row in list_notifications(database)] == [
        "pending", "pending", "sent", "sent"]
