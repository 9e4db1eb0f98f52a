"""Where a message goes: a party's name, e-mail address and phone number, read from the
graph's personal data when the message is sent (never copied into the outbox).

The e-mail address is the party node's ``email`` property (personal on a person, sealed at
rest like the rest of a person's data); the phone number is the first ``Phone`` node the
party ``USES`` (in id order, so the choice is stable). The graph store opens sealed values
with its vault.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from graph.model import PARTY_LABELS, Label, RelType
from graph.store import GraphStore
from notifications.errors import ChannelError

__all__ = ["Contact", "ContactBook", "GraphContacts", "address_for"]


@dataclass(frozen=True, slots=True)
class Contact:
    """What a message to a party needs to know of it."""

    party_id: str
    name: str | None
    email: str | None
    phone: str | None


class ContactBook(Protocol):
    def contact(self, party_id: str) -> Contact:
        """The party's contact details.

        Raises:
            ChannelError: (permanent) the party is unknown.
        """
        ...


class GraphContacts:
    """A :class:`ContactBook` over a graph store."""

    def __init__(self, graph: GraphStore) -> None:
        self.graph = graph

    def contact(self, party_id: str) -> Contact:
        node = self.graph.get_node(party_id)
        if node is None or node.label not in PARTY_LABELS:
            raise ChannelError(f"party {party_id} is not in the graph", permanent=True)
        email = node.props.get("email")
        phone = None
        targets = [edge.target for edge in
                   self.graph.edges_of([party_id], [RelType.USES], "out")[0]]
        for target in self.graph.get_nodes(targets) if targets else []:
            if target is not None and target.label is Label.PHONE and target.props.get("value"):
                phone = str(target.props["value"])
                break
        return Contact(party_id, node.name, None if email is None else str(email), phone)


def address_for(contact: Contact, channel: str) -> str | None:
    """The address of ``contact`` on ``channel``: the e-mail address for e-mail, the phone
    number for SMS, chat and the file channel (``None`` when the party has none)."""
    return contact.email if channel == "email" else contact.phone
