"""DataLoaders: one per relation, created per request, answering in key order.

A page of parties asks for their loans, guarantees and guarantors one party at a time;
the loaders gather every such request made in the same event-loop turn into one
:class:`graph.store.GraphStore` call, so the number of store round trips does not grow
with the page size. The store is synchronous, so each batch runs in a worker thread and
the event loop keeps serving other requests meanwhile.

Example::

    loaders = create_loaders(store)
    edges = await loaders.edges.load(EdgeKey("C1", frozenset({RelType.BORROWS}), "out"))
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from sqlalchemy import Engine
from strawberry.dataloader import DataLoader

from graph.model import Edge, Node, RelType
from graph.store import Direction, GraphStore
from graph.walks import Hop, LoopWalker
from portfolio import readers
from portfolio.alerts import Alert
from portfolio.bureau import BureauSnapshot
from portfolio.contact_notes import ContactNote
from portfolio.imports import ImportBatch
from portfolio.repayments import Repayment
from portfolio.schedule import Installment
from risk.alerts.subjects import alerts_of_parties
from risk.collections.actions import ActionView, actions_by_id
from risk.collections.cases import CaseView
from risk.collections.promises import PromiseView, promises_by_id
from risk.collections.reading import cases_by_id
from risk.disposals.views import DisposalView, disposals_by_id
from risk.reviews.reading import reviews_by_id
from risk.reviews.record import Review
from risk.scan_results import (
    FindingResult,
    LoanResult,
    StoredFeatures,
    StoredScore,
    findings_by_party,
    loan_results,
    party_features,
    party_scores,
)
from schema.store_hops import StoreHops

__all__ = ["EdgeKey", "Loaders", "PartyAlertsKey", "RecordKey", "create_loaders",
           "reads_in_place"]


class EdgeKey(NamedTuple):
    """Which edges of one node to load: of ``types`` (all when ``None``), in ``direction``."""

    node_id: str
    types: frozenset[RelType] | None
    direction: Direction


class PartyAlertsKey(NamedTuple):
    """Which alerts of one party to load: of ``status`` (all when ``None``), ``limit`` at
    most."""

    party_id: str
    status: str | None
    limit: int


class RecordKey(NamedTuple):
    """A record by kind and key, for ``node(id:)``: ``kind`` is one of
    :data:`RECORD_READERS`' keys, ``key`` the record's id (a ``(loan id, seq)`` pair for an
    installment, an ``int`` for an alert or import batch)."""

    kind: str
    key: Any


#: The batched reader of each record kind ``records`` loads by key.
RECORD_READERS: dict[str, Callable[[Engine, Sequence[Any]], Mapping[Any, Any]]] = {
    "alert": readers.alerts_by_id,
    "installment": readers.installments_by_key,
    "repayment": readers.repayments_by_id,
    "bureau": readers.bureau_by_id,
    "import_batch": readers.import_batches_by_id,
    "contact_note": readers.contact_notes_by_id,
    "review": reviews_by_id,
    "collection_case": cases_by_id,
    "disposal": disposals_by_id,
    "promise": promises_by_id,
    "collection_action": actions_by_id,
}


@dataclass(frozen=True, slots=True)
class Loaders:
    """The loaders of one request. Never share them between requests: they cache."""

    #: Node by id; ``None`` where the id is unknown.
    nodes: DataLoader[str, Node | None]
    #: Edges by :class:`EdgeKey`, each list sorted by edge identity.
    edges: DataLoader[EdgeKey, list[Edge]]
    #: A loan's result in the latest scan, by loan id (``None``: not in it, or no records).
    loan_results: DataLoader[str, LoanResult | None]
    #: The findings of the latest scan a party belongs to, by party id.
    findings: DataLoader[str, list[FindingResult]]
    #: The alerts on a party and on the loans it borrows, newest first, by
    #: :class:`PartyAlertsKey` (empty without records).
    party_alerts: DataLoader[PartyAlertsKey, list[Alert]]
    #: A party's graph features in the latest scan, by party id (``None``: none stored).
    graph_features: DataLoader[str, StoredFeatures | None]
    #: A borrower's PD in the latest scan, by party id (``None``: not scored).
    pd_scores: DataLoader[str, StoredScore | None]
    #: A loan's schedule in installment order, by loan id (empty: none, or no records).
    installments: DataLoader[str, list[Installment]]
    #: A loan's repayments, oldest first, by loan id.
    repayments: DataLoader[str, list[Repayment]]
    #: A party's bureau snapshots, newest first, by party id.
    bureau: DataLoader[str, list[BureauSnapshot]]
    #: Any record by :class:`RecordKey` (``None``: no such record, or no records).
    records: DataLoader[RecordKey, Alert | Installment | Repayment | BureauSnapshot | ContactNote
                        | ImportBatch | Review | CaseView | DisposalView | PromiseView
                        | ActionView | None]
    #: ``await walk(ids, hops)``: reads a walk (:mod:`graph.walks`) in one store call and
    #: primes ``nodes`` and ``edges`` with what it read, so that the resolvers that follow
    #: find it there (:mod:`schema.view_walks`).
    walk: Callable[[Sequence[str], tuple[Hop, ...]], Awaitable[None]]


def create_loaders(graph: GraphStore, records: Engine | None = None, *,
                   inline_reads: bool = False,
                   loop_walker: LoopWalker | None = None) -> Loaders:
    """Fresh loaders over ``graph`` and ``records``: one ``get_nodes`` call per batch of
    node ids, one ``edges_of`` call per batch of edge keys, one ``walk`` call per walk, and
    one query per batch of ids for each kind of record; the calls of one event-loop turn
    share one worker-thread hop (:class:`schema.store_hops.StoreHops`), or run on the loop
    with ``inline_reads`` (see :func:`reads_in_place`); walks are read by ``loop_walker``
    on the loop where there is one."""
    hops = StoreHops(inline=inline_reads)

    async def load_nodes(ids: Sequence[str]) -> list[Node | None]:
        return await hops.run(graph.get_nodes, list(ids))

    async def load_edges(keys: Sequence[EdgeKey]) -> list[list[Edge]]:
        return await hops.run(_edges, graph, keys)

    nodes: DataLoader[str, Node | None] = DataLoader(load_fn=load_nodes)
    edges: DataLoader[EdgeKey, list[Edge]] = DataLoader(load_fn=load_edges)

    async def walk(ids: Sequence[str], steps: tuple[Hop, ...]) -> None:
        walked = (await loop_walker.walk(list(ids), steps) if loop_walker is not None
                  else await hops.run(graph.walk, list(ids), steps))
        nodes.prime_many(walked.nodes)
        edges.prime_many({EdgeKey(node_id, frozenset({rel_type}), direction): found
                          for (node_id, rel_type, direction), found in walked.edges.items()})

    def by_id(reader: Callable[[Engine, list[str]], Mapping[str, Any]], empty: Any
              ) -> Callable[[Sequence[str]], Awaitable[list[Any]]]:
        """A batch function over ``reader`` (a mapping by id); ``empty()`` where absent."""
        def read(engine: Engine, ids: list[str]) -> list[Any]:
            found = reader(engine, ids)
            return [found.get(key, empty()) if empty is not None else found.get(key)
                    for key in ids]

        async def load(ids: Sequence[str]) -> list[Any]:
            if records is None:
                return [None if empty is None else empty() for _ in ids]
            return await hops.run(read, records, list(ids))
        return load

    async def load_party_alerts(keys: Sequence[PartyAlertsKey]) -> list[list[Alert]]:
        if records is None:
            return [[] for _ in keys]
        return await hops.run(_party_alerts, graph, records, keys)

    async def load_records(keys: Sequence[RecordKey]) -> list[Any]:
        if records is None:
            return [None] * len(keys)
        return await hops.run(_records, records, keys)

    return Loaders(nodes=nodes, edges=edges, walk=walk,
                   installments=DataLoader(load_fn=by_id(readers.installments_by_loan, list)),
                   repayments=DataLoader(load_fn=by_id(readers.repayments_by_loan, list)),
                   bureau=DataLoader(load_fn=by_id(readers.bureau_by_party, list)),
                   records=DataLoader(load_fn=load_records),
                   loan_results=DataLoader(load_fn=by_id(loan_results, None)),
                   findings=DataLoader(load_fn=by_id(findings_by_party, list)),
                   party_alerts=DataLoader(load_fn=load_party_alerts),
                   graph_features=DataLoader(load_fn=by_id(party_features, None)),
                   pd_scores=DataLoader(load_fn=by_id(party_scores, None)))


def reads_in_place(graph: GraphStore, records: Engine | None) -> bool:
    """Whether the loaders over ``graph`` and ``records`` may read on the event loop: both
    are in-process database files (SQLite), so a worker thread would add a hand-off and
    no overlap. A server over the network (Neo4j, PostgreSQL) keeps the worker thread."""
    return graph.reads_in_process and (records is None or records.dialect.name == "sqlite")


def _edges(graph: GraphStore, keys: Sequence[EdgeKey]) -> list[list[Edge]]:
    """Every key's edges from one ``edges_of`` call: the union of the types asked for, in
    the one direction asked for (both when keys differ), each key's list filtered from it
    (order kept: by identity)."""
    ids = list(dict.fromkeys(key.node_id for key in keys))
    types: frozenset[RelType] | None = frozenset()
    for key in keys:
        types = None if types is None or key.types is None else types | key.types
    directions = {key.direction for key in keys}
    direction: Direction = directions.pop() if len(directions) == 1 else "both"
    lists = dict(zip(ids, graph.edges_of(ids, types, direction), strict=True))
    found: list[list[Edge]] = []
    for key in keys:
        edges = lists[key.node_id]
        if key.types is not None and key.types != types:
            edges = [e for e in edges if e.type in key.types]
        if key.direction != direction:
            end = "source" if key.direction == "out" else "target"
            edges = [e for e in edges if getattr(e, end) == key.node_id]
        found.append(edges)
    return found


def _records(records: Engine, keys: Sequence[RecordKey]) -> list[Any]:
    """One query per kind of record asked for."""
    by_kind: dict[str, Mapping[Any, Any]] = {}
    for kind in dict.fromkeys(key.kind for key in keys):
        by_kind[kind] = RECORD_READERS[kind](records, [k.key for k in keys if k.kind == kind])
    return [by_kind[key.kind].get(key.key) for key in keys]


def _party_alerts(graph: GraphStore, records: Engine,
                  keys: Sequence[PartyAlertsKey]) -> list[list[Alert]]:
    """One ``edges_of`` call for the loans of every party asked for, then one query per
    status asked for (and chunk of subjects)."""
    parties = list(dict.fromkeys(key.party_id for key in keys))
    borrowed = graph.edges_of(parties, frozenset({RelType.BORROWS}), "out")
    loans_of = {party: [edge.target for edge in edges]
                for party, edges in zip(parties, borrowed, strict=True)}
    by_status: dict[str | None, dict[str, list[Alert]]] = {}
    for status in dict.fromkeys(key.status for key in keys):
        wanted = [key for key in keys if key.status == status]
        limit = max(key.limit for key in wanted)
        by_status[status] = alerts_of_parties(
            records, {key.party_id: loans_of[key.party_id] for key in wanted},
            status=status, limit=limit)
    return [by_status[key.status][key.party_id][:key.limit] for key in keys]
