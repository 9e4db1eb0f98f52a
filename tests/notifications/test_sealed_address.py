"""The address a message went to is kept sealed, and a key rotation re-seals it with the
rest of the personal data (``loanwatch keys rotate``)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, select

from graph.data_keys import KeyRing
from graph.vault import PersonalDataVault
from jobs.key_rotation import NOTIFICATION_PHASE, reseal_all
from notifications.channels.file import FileChannel
from notifications.contacts import GraphContacts
from notifications.delivery import deliver_due
from notifications.outbox import NOTIFICATION, get_notification
from portfolio.notifications import SENT_TO_FIELD
from tests.notifications.delivery_setup import PHONE, Clock, contacts_graph, queue

H1 = b"identifier-key-version-one-000000"
V1 = PersonalDataVault(KeyRing({1: b"1" * 32}, {1: H1}))
V12 = PersonalDataVault(KeyRing({1: b"1" * 32, 2: b"2" * 32}, {1: H1}))


def test_a_rotation_reseals_the_addresses_messages_went_to(database: Engine,
                                                           tmp_path: Path) -> None:
    graph = contacts_graph(database, V1)
    queue(database, "sent", channel="file")
    queue(database, "no-address", channel="file", party="P2")
    deliver_due(database, {"file": FileChannel(tmp_path / "out")},
                GraphContacts(graph), vault=V1, clock=Clock())
    graph.close()
    assert str(get_notification(database, 1).sent_to).startswith("lw1$1$")

    phases: list[str] = []
    reseal_all(contacts_graph(database, V12), database, V12,
               progress=lambda state: phases.append(state.phase))

    assert NOTIFICATION_PHASE in phases
    with database.connect() as connection:
        stored = dict(connection.execute(  # type: ignore[arg-type]
            select(NOTIFICATION.c.key, NOTIFICATION.c.sent_to)).all())
    assert stored["sent"].startswith("lw1$2$") and stored["no-address"] is None
    assert V12.open_text(SENT_TO_FIELD, stored["sent"]) == PHONE
