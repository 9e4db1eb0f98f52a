"""The one interface every graph backend implements.

Two backends exist: :mod:`graph.stores.embedded` (the default: kept in the SQL database,
traversed with networkx) and :mod:`graph.stores.neo4j` (Neo4j 5 over Bolt). Both pass the
same contract tests in ``tests/graph/test_store_contract.py``; nothing above this layer asks
which one it holds. The importer asks one capability instead: whether the store can write
within its SQL transaction (:class:`SqlTransactionGraph`), to make a batch's graph part and
records one transaction.

Semantics shared by both backends:

* Upserts are idempotent on the node id and on the edge identity ``(type, source, target,
  key)``; properties given replace the stored values of those properties, others are kept.
  A node's label never changes: upserting an existing id with another label is an error.
* An edge's endpoints must already exist or come in the same batch (upsert nodes first, or
  both in one :meth:`GraphStore.upsert_batch`); a dangling edge raises
  :class:`graph.errors.NodeNotFound` and the batch that held it writes nothing.
* Every write is one transaction: a batch of nodes and edges is written whole or not at
  all, whatever stops it (an error, a server failure, ``kill -9``). Two writers at once
  cannot give one id two labels: the label is checked inside the writing transaction.
* A transaction that fails transiently (a deadlock, a lock timeout) is run again by the
  backend; :class:`BatchWrite` says how many times.
* Traversals ignore direction unless stated: a guarantee links guarantor and loan both ways
  for the purpose of "who is connected to whom".
* Results are deterministic: nodes sorted by (hop distance, id), edges by identity, paths by
  their node ids.
"""

from __future__ import annotations

import abc
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, Literal, Protocol, runtime_checkable

import networkx as nx
from sqlalchemy import Connection, Engine

from graph.errors import NodeNotFound
from graph.model import RESERVED_PROPERTIES, Edge, Label, Node, Path, RelType, Subgraph
from graph.traversal import expand_neighbourhood, find_shortest_paths
from graph.walks import Hop, LoopWalker, Walked, walk_level_by_level

__all__ = [
    "DEFAULT_EDGE_BATCH",
    "DEFAULT_NEIGHBOURHOOD_LIMIT",
    "DEFAULT_PATH_LIMIT",
    "DEFAULT_SEARCH_LIMIT",
    "MAX_HOPS",
    "BatchWrite",
    "Direction",
    "EdgeRow",
    "GraphStore",
    "SqlTransactionGraph",
]

DEFAULT_SEARCH_LIMIT: Final = 20
DEFAULT_NEIGHBOURHOOD_LIMIT: Final = 500
DEFAULT_PATH_LIMIT: Final = 10
#: Deepest neighbourhood or path search either backend accepts.
MAX_HOPS: Final = 6
#: Rows per batch of :meth:`GraphStore.iter_edges`.
DEFAULT_EDGE_BATCH: Final = 50_000

Direction = Literal["out", "in", "both"]

#: One edge of :meth:`GraphStore.iter_edges`: ``(type, source, target, key, values)``, where
#: ``values`` holds the requested edge properties, then the source node's, then the target
#: node's, in the order asked, ``None`` where a property is absent.
EdgeRow = tuple[str, str, str, str, tuple[Any, ...]]


@dataclass(frozen=True, slots=True)
class BatchWrite:
    """What one write did: nodes and edges given, and how many times the backend ran the
    transaction again after a transient failure (a deadlock between concurrent writers)."""

    nodes: int = 0
    edges: int = 0
    retries: int = 0


class GraphStore(abc.ABC):
    """A graph of parties, loans, accounts and their relationships."""

    # -- lifecycle -------------------------------------------------------------------------

    @abc.abstractmethod
    def ensure_schema(self) -> None:
        """Create constraints, indexes or tables if missing. Safe to call repeatedly."""

    @abc.abstractmethod
    def ping(self) -> None:
        """Return when the backend answers; raise ``BackendUnavailable`` otherwise."""

    @abc.abstractmethod
    def close(self) -> None:
        """Release connections. The store cannot be used afterwards."""

    @property
    def reads_in_process(self) -> bool:
        """Whether a read is work in this process on a local file (the embedded store on
        SQLite), with no network round trip to wait on: callers on an event loop may then
        read in place rather than in a worker thread (:mod:`schema.store_hops`)."""
        return False

    def open_loop_walker(self) -> LoopWalker | None:
        """A reader of walks on the running event loop (:class:`graph.walks.LoopWalker`),
        for a server that reads the same walks many times a second: no worker-thread hop,
        no interpreter-lock hand-offs. ``None`` where the store has no asynchronous driver
        (callers then run :meth:`walk` in a thread). Call it on the loop that will use it."""
        return None

    def __enter__(self) -> GraphStore:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- writes ----------------------------------------------------------------------------

    @abc.abstractmethod
    def upsert_batch(self, nodes: Sequence[Node], edges: Sequence[Edge]) -> BatchWrite:
        """Insert or update ``nodes``, then ``edges``, in one transaction: all or nothing.

        Edges may end at nodes of the same batch. The batch is checked whole before the
        first write, and labels are checked again inside the transaction, so that a
        concurrent writer cannot slip in a node of another label.

        Raises:
            InvalidGraphElement: a node or edge breaks the model, or a node would change an
                existing node's label.
            NodeNotFound: an edge's endpoint exists neither in the store nor in the batch.
            TransientGraphError: the transaction kept failing transiently after retries.
            GraphBackendError, BackendUnavailable: the backend failed or cannot be reached.
        """

    def upsert_nodes(self, nodes: Sequence[Node]) -> int:
        """Insert or update ``nodes`` in one transaction; return how many were given.

        Raises:
            InvalidGraphElement: a node breaks the model, or changes an existing node's label.
        """
        return self.upsert_batch(nodes, ()).nodes

    def upsert_edges(self, edges: Sequence[Edge]) -> int:
        """Insert or update ``edges`` in one transaction; return how many were given.

        Raises:
            NodeNotFound: an endpoint does not exist (nothing of the batch is written).
            InvalidGraphElement: an edge breaks the model (for example endpoint labels).
        """
        return self.upsert_batch((), edges).edges

    @abc.abstractmethod
    def rename_nodes(self, renames: Mapping[str, str]) -> int:
        """Give each node ``old`` of ``renames`` the id ``renames[old]``, in one transaction;
        return how many nodes were renamed.

        The node keeps its label and properties and its edges follow it (an edge that
        would then exist twice is merged, the moved edge's properties winning). When the new
        id exists already, the two nodes become one: the properties are merged, the renamed
        node's values winning. Ids of ``renames`` that do not exist are skipped, so a rename
        repeated changes nothing. Used by upgrades that re-key stored nodes
        (:mod:`graph.upgrades`), not by imports.

        Raises:
            InvalidGraphElement: a new id is malformed, or exists with another label.
            ValueError: an id is both renamed and the new id of a rename.
        """

    @abc.abstractmethod
    def delete_all(self) -> None:
        """Remove every node and edge (tests, and whoever starts a graph afresh)."""

    # -- reads -----------------------------------------------------------------------------

    @abc.abstractmethod
    def get_nodes(self, ids: Sequence[str]) -> list[Node | None]:
        """The nodes with ``ids``, in the same order; ``None`` where an id is unknown."""

    def get_node(self, node_id: str) -> Node | None:
        return self.get_nodes([node_id])[0]

    @abc.abstractmethod
    def nodes_with_label(self, label: Label) -> list[Node]:
        """Every node of ``label``, sorted by id (for upgrades over one label; not paged)."""

    @abc.abstractmethod
    def labels_of(self, ids: Collection[str]) -> dict[str, Label]:
        """The label of each id in ``ids`` that exists (unknown ids are left out)."""

    @abc.abstractmethod
    def _incident_edges(
        self, ids: Sequence[str], types: Collection[RelType] | None
    ) -> list[Edge]:
        """Every edge of ``types`` (all when ``None``) with ``ids`` at either end, each once."""

    def edges_of(
        self,
        ids: Sequence[str],
        types: Collection[RelType] | None = None,
        direction: Direction = "both",
    ) -> list[list[Edge]]:
        """For each id in ``ids`` (same order), its edges of ``types`` in ``direction``.

        ``"out"`` means the id is the edge's source. Each inner list is sorted by identity.
        One backend round trip for the whole batch, whatever its size.
        """
        if direction not in ("out", "in", "both"):
            raise ValueError(f"direction must be 'out', 'in' or 'both', got {direction!r}")
        grouped: dict[str, list[Edge]] = {node_id: [] for node_id in ids}
        for edge in sorted_edges(self._incident_edges(list(grouped), types)):
            outgoing = direction != "in" and edge.source in grouped
            if outgoing:
                grouped[edge.source].append(edge)
            self_loop_seen = outgoing and edge.target == edge.source
            if direction != "out" and edge.target in grouped and not self_loop_seen:
                grouped[edge.target].append(edge)
        return [grouped[node_id] for node_id in ids]

    def walk(self, ids: Sequence[str], hops: Sequence[Hop]) -> Walked:
        """The nodes ``ids`` and the tree of ``hops`` from them, read at once where the
        backend can (see :mod:`graph.walks`): each node as :meth:`get_nodes` gives it, each
        walked node's edges of a hop's type and direction as :meth:`edges_of` gives them.

        By default, the batched reads level by level
        (:func:`graph.walks.walk_level_by_level`); a backend over the network overrides it
        with one round trip.

        Raises:
            ValueError: the walk is too deep or too large (:func:`graph.walks.check_walk`).
        """
        return walk_level_by_level(self, ids, hops)

    @abc.abstractmethod
    def party_ids_where(self, keys: Sequence[str], value: str) -> list[str]:
        """The ids of the persons and companies one of whose properties ``keys`` equals
        ``value``, ignoring case and surrounding spaces, sorted by id.

        For portfolio lists filtered by a text attribute: ``("sector",)``, or
        ``("province", "city")`` for a region. One backend round trip; it reads every party
        (a scan, not an index), so callers page the result rather than repeat it.

        Raises:
            ValueError: ``keys`` is empty or names a reserved property.
        """

    @staticmethod
    def _check_property_keys(keys: Sequence[str]) -> list[str]:
        wanted = list(dict.fromkeys(keys))
        if not wanted:
            raise ValueError("keys must name at least one property")
        reserved = [key for key in wanted if key in RESERVED_PROPERTIES or key.startswith("_")]
        if reserved:
            raise ValueError(f"cannot filter on the store's own property {reserved[0]!r}")
        return wanted

    @abc.abstractmethod
    def search_parties(self, text: str, limit: int = DEFAULT_SEARCH_LIMIT) -> list[Node]:
        """Persons and companies whose id or name contains ``text``, ignoring case.

        Ordered: exact id match first, then by name, then by id.
        """

    def neighbourhood(
        self,
        center: str,
        hops: int = 2,
        *,
        labels: Collection[Label] | None = None,
        types: Collection[RelType] | None = None,
        limit: int = DEFAULT_NEIGHBOURHOOD_LIMIT,
    ) -> Subgraph:
        """Nodes within ``hops`` of ``center`` and the edges among them.

        Expansion is breadth first over edges of ``types`` (all when ``None``) in either
        direction, entering only nodes whose label is in ``labels`` (all when ``None``); the
        center is always included. Within a hop, nodes are taken in id order until ``limit``
        nodes are held; then ``truncated`` is set. Edges are every edge of ``types`` whose
        two ends are both in the result.

        Raises:
            NodeNotFound: ``center`` does not exist.
            ValueError: ``hops`` outside 0..MAX_HOPS or ``limit`` < 1.
        """
        self._check_hops(hops, limit)
        if self.get_node(center) is None:
            raise NodeNotFound(center)
        wanted = None if types is None else frozenset(types)
        ids, truncated = expand_neighbourhood(
            center, hops, limit, types=wanted, labels=labels,
            fetch_incident=self._incident_edges, fetch_labels=self.labels_of,
        )
        members = set(ids)
        edges = [
            edge for edge in self._incident_edges(ids, wanted)
            if edge.source in members and edge.target in members
        ]
        nodes = [node for node in self.get_nodes(ids) if node is not None]
        return Subgraph(nodes=nodes, edges=sorted_edges(edges), truncated=truncated)

    def shortest_paths(
        self,
        source: str,
        target: str,
        *,
        max_hops: int = MAX_HOPS,
        types: Collection[RelType] | None = None,
        limit: int = DEFAULT_PATH_LIMIT,
    ) -> list[Path]:
        """All shortest undirected paths from ``source`` to ``target`` of at most
        ``max_hops`` edges over ``types``, sorted by node ids, at most ``limit`` of them.

        Parallel edges between the same two nodes do not multiply paths: each step uses the
        smallest edge identity between the two nodes. Empty when no such path exists.

        Raises:
            NodeNotFound: ``source`` or ``target`` does not exist.
        """
        self._check_hops(max_hops, limit)
        for node_id, node in zip((source, target), self.get_nodes([source, target]), strict=True):
            if node is None:
                raise NodeNotFound(node_id)
        found = find_shortest_paths(
            source, target, max_hops,
            types=None if types is None else frozenset(types),
            fetch_incident=self._incident_edges,
        )[:limit]
        wanted = sorted({node_id for ids, _ in found for node_id in ids})
        by_id = dict(zip(wanted, self.get_nodes(wanted), strict=True))
        return [
            Path(nodes=[by_id[i] for i in ids if by_id[i] is not None], edges=edges)
            for ids, edges in found
        ]

    @abc.abstractmethod
    def project(
        self,
        types: Collection[RelType],
        labels: Collection[Label] | None = None,
    ) -> nx.MultiDiGraph:
        """The subgraph of edges of ``types`` as a networkx multigraph, for analytics.

        Nodes carry ``label`` and their properties; edges are keyed by ``key`` and carry
        ``type`` and their properties. With ``labels``, only edges whose two ends have one
        of those labels are kept. Nodes without such edges are left out.
        """

    @abc.abstractmethod
    def iter_edges(
        self,
        types: Collection[RelType],
        *,
        props: Sequence[str] = (),
        source_props: Sequence[str] = (),
        target_props: Sequence[str] = (),
        batch_size: int = DEFAULT_EDGE_BATCH,
    ) -> Iterator[list[EdgeRow]]:
        """Every edge of ``types``, in batches of at most ``batch_size`` plain tuples
        (:data:`EdgeRow`), for whole-graph passes that must not hold the graph as objects.

        Only the named properties are read: ``props`` of the edge, ``source_props`` and
        ``target_props`` of its two end nodes. The order of edges is unspecified; each
        edge comes once. The read streams (a server-side cursor, Neo4j's record stream),
        so memory stays one batch; it is not one snapshot across concurrent writes.

        Raises:
            ValueError: ``batch_size`` < 1.
            GraphBackendError, BackendUnavailable: the backend failed or cannot be reached.
        """

    @abc.abstractmethod
    def count(self) -> dict[str, int]:
        """Number of nodes per label and of edges per type (zero counts left out)."""

    # -- helpers shared by the backends ----------------------------------------------------

    @staticmethod
    def _check_batch_size(batch_size: int) -> None:
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, got {batch_size}")

    @staticmethod
    def _check_hops(hops: int, limit: int) -> None:
        if not 0 <= hops <= MAX_HOPS:
            raise ValueError(f"hops must be between 0 and {MAX_HOPS}, got {hops}")
        if limit < 1:
            raise ValueError(f"limit must be at least 1, got {limit}")


@runtime_checkable
class SqlTransactionGraph(Protocol):
    """A graph store kept in an SQL database, which can write within a caller's transaction.

    The importer uses it to write a batch's graph part and its relational records in one
    SQL transaction when both live in the same database, so that no crash splits them.
    """

    def shares_database_with(self, engine: Engine) -> bool:
        """Whether ``engine`` reaches the database this store keeps its graph in."""

    def upsert_batch_in(self, connection: Connection, nodes: Sequence[Node],
                        edges: Sequence[Edge]) -> BatchWrite:
        """:meth:`GraphStore.upsert_batch` within ``connection``'s open transaction, which
        the caller commits or rolls back."""


def sorted_edges(edges: Iterable[Edge]) -> list[Edge]:
    """Edges sorted by identity, the order every backend returns."""
    return sorted(edges, key=lambda e: e.identity)
