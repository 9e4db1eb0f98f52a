"""Which parties and loans an event's re-scoring covers: the k-hop neighbourhood.

The parties an event concerns are the borrowers of the loans it names, the holders of the
accounts it names, and the parties it names. Around each, the graph store's
:meth:`~graph.store.GraphStore.neighbourhood` gives the nodes within ``hops`` edges over the
relationships that tie credit risk together (borrowing, guarantees, ownership, control,
directorships, family and business relations), in either direction. The scope is the
persons and companies found, and the loans found or borrowed by those parties (a party's
own loans are re-scored with it). One neighbourhood read per party the event concerns, and
one batched read of edges.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from graph.errors import NodeNotFound
from graph.model import PARTY_LABELS, Label, RelType
from graph.store import GraphStore

__all__ = ["NETWORK_TYPES", "Scope", "scope_of"]

#: The relationships walked around the parties an event concerns.
NETWORK_TYPES: Final = frozenset({RelType.BORROWS, RelType.GUARANTEES, RelType.OWNS,
                                  RelType.CONTROLS, RelType.DIRECTS, RelType.RELATED})


@dataclass(frozen=True, slots=True)
class Scope:
    """The parties the event concerns (``centres``), and every party and loan re-scored;
    ``truncated``: a neighbourhood reached the store's size limit (the rest is left out)."""

    centres: tuple[str, ...]
    parties: frozenset[str]
    loans: frozenset[str]
    truncated: bool = False

    def covers(self, subject_kind: str, subject_id: str) -> bool:
        """Whether an alert about ``subject_kind`` ``subject_id`` is within the scope."""
        if subject_kind == "party":
            return subject_id in self.parties
        if subject_kind == "loan":
            return subject_id in self.loans
        return False  # portfolio segments are the whole book's, not a neighbourhood's


def scope_of(graph: GraphStore, *, loans: tuple[str, ...] = (), accounts: tuple[str, ...] = (),
             parties: tuple[str, ...] = (), hops: int) -> Scope:
    """The scope of an event naming ``loans``, ``accounts`` and ``parties`` (see the module).
    Ids the graph does not hold are left out (an event about a party imported later)."""
    centres: dict[str, None] = {}
    starts = [*loans, *accounts]
    if starts:
        for edges in graph.edges_of(starts, [RelType.BORROWS, RelType.HOLDS], "in"):
            for edge in edges:
                centres.setdefault(edge.source)
    labels = graph.labels_of([*centres, *parties])
    for party in parties:
        if labels.get(party) in PARTY_LABELS:
            centres.setdefault(party)
    found_parties: set[str] = set()
    found_loans: set[str] = set(loan for loan in loans if loan)
    truncated = False
    for centre in centres:
        try:
            around = graph.neighbourhood(centre, hops, types=NETWORK_TYPES)
        except NodeNotFound:
            continue
        truncated = truncated or around.truncated
        for node in around.nodes:
            if node.label in PARTY_LABELS:
                found_parties.add(node.id)
            elif node.label is Label.LOAN:
                found_loans.add(node.id)
    ordered = sorted(found_parties)
    if ordered:
        for edges in graph.edges_of(ordered, [RelType.BORROWS], "out"):
            found_loans.update(edge.target for edge in edges)
    return Scope(centres=tuple(centres), parties=frozenset(found_parties),
                 loans=frozenset(found_loans), truncated=truncated)
