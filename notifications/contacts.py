"""Where a message goes: a party's name, e-mail address and phone number, read from the
graph's personal data when the message is sent (never copied into the outbox).

The e-mail address is the party node's ``email`` property (personal on a person, sealed at
rest like the rest of a person's data); the phone number is the first ``Phone`` node the
party ``USES`` (in id order, so the choice is stable). The graph store opens sealed values
with its vault.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from graph.model import PARTY_LABELS, Label, RelType
from graph.store import GraphStore
from notifications.errors import ChannelError

__all__ = ["Contact", "ContactBook", "GraphContacts", "address_for", "unknown_party"]


@dataclass(frozen=True, slots=True)
class Contact:
    """What a message to a party needs to know of it."""

    party_id: str
    name: str | None
    email: str | None
    phone: str | None


class ContactBook(Protocol):
    def contacts(self, party_ids: Sequence[str]) -> Mapping[str, Contact]:
        """The contact details of each of ``party_ids`` that is a party (others absent)."""
        ...


class GraphContacts:
    """A :class:`ContactBook` over a graph store: three store reads for any number of
    parties (their nodes, their ``USES`` edges, the nodes those reach)."""

    def __init__(self, graph: GraphStore) -> None:
        self.graph = graph

    def contacts(self, party_ids: Sequence[str]) -> dict[str, Contact]:
        wanted = list(dict.fromkeys(party_ids))
        if not wanted:
            return {}
        nodes = dict(zip(wanted, self.graph.get_nodes(wanted), strict=True))
        parties = {party_id: node for party_id, node in nodes.items()
                   if node is not None and node.label in PARTY_LABELS}
        if not parties:
            return {}
        uses = dict(zip(parties, self.graph.edges_of(list(parties), [RelType.USES], "out"),
                        strict=True))
        targets = sorted({edge.target for edges in uses.values() for edge in edges})
        phones = {node.id: str(node.props["value"])
                  for node in (self.graph.get_nodes(targets) if targets else [])
                  if node is not None and node.label is Label.PHONE and node.props.get("value")}
        found: dict[str, Contact] = {}
        for party_id, node in parties.items():
            # The phone of the lowest node id: the same choice on every store, every time.
            phone = next((phones[target] for target in sorted(e.target for e in uses[party_id])
                          if target in phones), None)
            email = node.props.get("email")
            found[party_id] = Contact(party_id, node.name, None if email is None else str(email),
                                      phone)
        return found

    def contact(self, party_id: str) -> Contact:
        """One party's contact details.

        Raises:
            ChannelError: (permanent) the party is unknown.
        """
        found = self.contacts([party_id]).get(party_id)
        if found is None:
            raise unknown_party(party_id)
        return found


def unknown_party(party_id: str) -> ChannelError:
    """The permanent failure of a message to a party the graph does not hold."""
    return ChannelError(f"party {party_id} is not in the graph", permanent=True)


def address_for(contact: Contact, channel: str) -> str | None:
    """The address of ``contact`` on ``channel``: the e-mail address for e-mail, the phone
    number for SMS, chat and the file channel (``None`` when the party has none)."""
    return contact.email if channel == "email" else contact.phone
