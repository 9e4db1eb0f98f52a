"""Identity rings: parties that share a phone, an address, a device or an account.

The party–identifier graph is bipartite: ``USES`` edges from persons and companies to
``Phone``, ``Address`` and ``Device`` nodes, ``HOLDS`` edges to ``Account`` nodes. The
*users* of an identifier are the distinct parties linked to it.

Definition. An identifier with more than ``public_above`` users (default 50) is
**public**: a bank branch's address, a business centre, a call-centre number. It is
reported once, with its number of users, and never makes a ring. Among the others, every
identifier with at least two users is grouped with the identifiers that have **exactly
the same set of users**; each such set with at least ``min_size`` users (default 3) is
one **ring**, its identifiers the evidence. So a ring of five sharing a phone and a device
is one ring with two shared identifiers, and a household of two inside it (sharing an
address too) is not a ring of its own. Rings whose user sets overlap without being equal
are reported separately: each is one shared footprint.

Identifier *values* are personal data: results carry node ids (keyed hashes, see
:mod:`graph.identifier_ids`) and kinds; :func:`read_rings` adds each value only as
:func:`graph.personal_data.mask_value` shows it.

Complexity: O(E log E) for E party–identifier links.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Final

import numpy as np

from graph.model import Label, PropertyValue, RelType
from graph.personal_data import mask_value
from graph.store import GraphStore
from graph.validity import NOT_READ, VALIDITY_PROPS, ValiditySummary, summarise
from loanwatch.errors import LoanwatchError

__all__ = [
    "DEFAULT_MIN_SIZE",
    "DEFAULT_PUBLIC_ABOVE",
    "IDENTIFIER_KIND",
    "InvalidRingParameters",
    "PublicIdentifier",
    "Ring",
    "RingReport",
    "SharedIdentifier",
    "identity_rings",
    "read_identifier_links",
    "read_rings",
]

#: Fewest parties a ring has.
DEFAULT_MIN_SIZE: Final = 3
#: An identifier with more users than this is public, not a ring.
DEFAULT_PUBLIC_ABOVE: Final = 50
#: The kind reported for each identifier label.
IDENTIFIER_KIND: Final[dict[Label, str]] = {
    Label.PHONE: "phone",
    Label.ADDRESS: "address",
    Label.DEVICE: "device",
    Label.ACCOUNT: "account",
}


class InvalidRingParameters(LoanwatchError):
    """A ring parameter is out of range."""


@dataclass(frozen=True, slots=True)
class SharedIdentifier:
    """An identifier that is evidence of a ring: node id, kind, and the value as masking
    shows it (``None`` when withheld, or when the caller did not ask)."""

    id: str
    kind: str
    masked: PropertyValue | None = None


@dataclass(frozen=True, slots=True)
class Ring:
    """Parties (sorted ids) and the identifiers they all share, sorted by id."""

    members: list[str]
    shared: list[SharedIdentifier]


@dataclass(frozen=True, slots=True)
class PublicIdentifier:
    """An identifier used by more parties than the public threshold."""

    id: str
    kind: str
    users: int
    masked: PropertyValue | None = None


@dataclass(frozen=True, slots=True)
class RingReport:
    """Rings (largest first, then by first member) and public identifiers (most used
    first); ``validity`` says how the links' dates were applied (:mod:`graph.validity`)."""

    rings: list[Ring]
    public: list[PublicIdentifier] = field(default_factory=list)
    validity: ValiditySummary = NOT_READ


def _check(min_size: int, public_above: int) -> None:
    if min_size < 2:
        raise InvalidRingParameters(f"minimum ring size {min_size} must be at least 2")
    if public_above < min_size:
        raise InvalidRingParameters(
            f"public threshold {public_above} must be at least the minimum ring size "
            f"{min_size}", suggestion="identifiers with more users than it are public")


def identity_rings(party_ids: Sequence[str], identifier_ids: Sequence[str],
                   identifier_kinds: Sequence[str], party: np.ndarray, identifier: np.ndarray,
                   min_size: int = DEFAULT_MIN_SIZE,
                   public_above: int = DEFAULT_PUBLIC_ABOVE) -> RingReport:
    """Rings and public identifiers of a party–identifier link list.

    Parameters:
        party_ids, identifier_ids, identifier_kinds: the two node sets (kinds parallel to
            the identifier ids).
        party, identifier: parallel index arrays, one entry per link (duplicates allowed).
        min_size: fewest users of a ring.
        public_above: more users than this make an identifier public.

    Raises:
        InvalidRingParameters: ``min_size`` < 2 or ``public_above`` < ``min_size``.
    """
    _check(min_size, public_above)
    n_p = len(party_ids)
    links = np.unique(np.asarray(identifier, dtype=np.int64) * max(n_p, 1)
                      + np.asarray(party, dtype=np.int64))
    ident, users = links // max(n_p, 1), links % max(n_p, 1)
    counts = np.bincount(ident, minlength=len(identifier_ids))
    public = [PublicIdentifier(identifier_ids[i], identifier_kinds[i], int(counts[i]))
              for i in np.flatnonzero(counts > public_above).tolist()]
    public.sort(key=lambda p: (-p.users, p.id))
    # Identifiers worth a look: between min_size and public_above users.
    wanted = (counts[ident] >= min_size) & (counts[ident] <= public_above)
    ident, users = ident[wanted], users[wanted]
    by_members: dict[tuple[int, ...], list[int]] = defaultdict(list)
    if len(ident):
        bounds = np.flatnonzero(np.r_[True, ident[1:] != ident[:-1], True])
        for start, end in zip(bounds[:-1].tolist(), bounds[1:].tolist(), strict=True):
            by_members[tuple(users[start:end].tolist())].append(int(ident[start]))
    rings = [
        Ring(members=sorted(party_ids[u] for u in members),
             shared=sorted((SharedIdentifier(identifier_ids[i], identifier_kinds[i])
                            for i in shared), key=lambda s: s.id))
        for members, shared in by_members.items()
    ]
    rings.sort(key=lambda r: (-len(r.members), r.members))
    return RingReport(rings=rings, public=public)


_Links = tuple[list[str], list[str], list[str], np.ndarray, np.ndarray]


def read_identifier_links(store: GraphStore, as_of: date | None = None) -> _Links:
    """The ``USES`` and ``HOLDS`` edges of ``store`` as the arguments of
    :func:`identity_rings`: party ids, identifier ids, identifier kinds, and the links as
    two index arrays; read in streamed batches of plain tuples.

    A ``HOLDS`` target is an account; a ``USES`` target is a phone, address or device node,
    whose kind is the prefix of its id (``phone:…``, see :mod:`graph.identifier_ids`).
    With ``as_of``, only the links that held that day (:func:`graph.validity.valid_on`);
    undated links are taken as they stand. ``None``: every stored link, dates not applied.
    """
    return _read_links(store, as_of)[0]


def _read_links(store: GraphStore, as_of: date | None) -> tuple[_Links, ValiditySummary]:
    party_of: list[str] = []
    ident_of: list[str] = []
    edge_types: list[str] = []
    starts: list[object] = []
    ends: list[object] = []
    for batch in store.iter_edges([RelType.USES, RelType.HOLDS], props=VALIDITY_PROPS):
        for edge_type, source, target, _, (start, end) in batch:
            party_of.append(source)
            ident_of.append(target)
            edge_types.append(edge_type)
            starts.append(start)
            ends.append(end)
    keep, validity = summarise(starts, ends, as_of)
    if validity.excluded:
        wanted = keep.tolist()
        party_of = [p for p, k in zip(party_of, wanted, strict=True) if k]
        ident_of = [i for i, k in zip(ident_of, wanted, strict=True) if k]
        edge_types = [t for t, k in zip(edge_types, wanted, strict=True) if k]
    kind_by_ident: dict[str, str] = {}
    account = IDENTIFIER_KIND[Label.ACCOUNT]
    for edge_type, target in zip(edge_types, ident_of, strict=True):
        if edge_type == RelType.HOLDS.value:
            kind_by_ident[target] = account
        else:
            kind_by_ident[target] = target.partition(":")[0]
    parties = sorted(set(party_of))
    idents = sorted(kind_by_ident)
    p_index = {p: k for k, p in enumerate(parties)}
    i_index = {i: k for k, i in enumerate(idents)}
    src = np.fromiter((p_index[p] for p in party_of), dtype=np.int64, count=len(party_of))
    dst = np.fromiter((i_index[i] for i in ident_of), dtype=np.int64, count=len(ident_of))
    return (parties, idents, [kind_by_ident[i] for i in idents], src, dst), validity


def read_rings(store: GraphStore, min_size: int = DEFAULT_MIN_SIZE,
               public_above: int = DEFAULT_PUBLIC_ABOVE, *, masked: bool = True,
               as_of: date | None = None) -> RingReport:
    """The identity rings of the graph in ``store``; with ``masked``, each identifier also
    carries its value as :func:`graph.personal_data.mask_value` shows it; with ``as_of``,
    of the links as they stood that day (see :func:`read_identifier_links`)."""
    _check(min_size, public_above)
    (parties, idents, kinds, src, dst), validity = _read_links(store, as_of)
    found = identity_rings(parties, idents, kinds, src, dst, min_size, public_above)
    report = RingReport(rings=found.rings, public=found.public, validity=validity)
    if not masked:
        return report
    # Only the identifiers reported are read back, for their (masked) values.
    reported = sorted({s.id for r in report.rings for s in r.shared}
                      | {p.id for p in report.public})
    nodes = {node.id: node for node in store.get_nodes(reported) if node is not None}

    def shown(node_id: str) -> PropertyValue | None:
        node = nodes.get(node_id)
        value = None if node is None else node.props.get("value")
        return None if node is None or value is None else mask_value(node.label, "value", value)

    rings = [Ring(r.members, [SharedIdentifier(s.id, s.kind, shown(s.id)) for s in r.shared])
             for r in report.rings]
    public = [PublicIdentifier(p.id, p.kind, p.users, shown(p.id)) for p in report.public]
    return RingReport(rings=rings, public=public, validity=validity)
