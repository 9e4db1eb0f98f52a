"""The Neo4j graph store: the production backend, over Bolt with the official driver.

Every node carries the label ``Entity`` beside its own label, so that one uniqueness
constraint on ``Entity.id`` keys all of them and every edge write finds its two ends by one
index look-up. Writes are batched with ``UNWIND``: one statement per label or relationship
type, all of a batch in one transaction, so that a batch is written whole or not at all.
The statements are in :mod:`graph.stores.neo4j_cypher`; personal properties are sealed and
opened through :mod:`graph.sealed_properties`.
"""

from __future__ import annotations

import itertools
import time
from collections import defaultdict
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar

import networkx as nx
from neo4j import READ_ACCESS, AsyncDriver, Driver, ManagedTransaction, Record

from graph.batches import (
    check_endpoints,
    check_labels_unchanged,
    check_renames,
    endpoint_ids,
    merge_edges,
    merge_nodes,
)
from graph.errors import InvalidGraphElement, NodeNotFound
from graph.field_cipher import ENVELOPE_PREFIX
from graph.model import PARTY_LABELS, Edge, Label, Node, RelType, Subgraph
from graph.resealing import ResealPage
from graph.sealed_properties import SealedProperties
from graph.store import (
    DEFAULT_EDGE_BATCH,
    DEFAULT_NEIGHBOURHOOD_LIMIT,
    DEFAULT_SEARCH_LIMIT,
    BatchWrite,
    EdgeRow,
    GraphStore,
    sorted_edges,
)
from graph.stores import neo4j_cypher as cypher
from graph.stores.neo4j_errors import DRIVER_ERRORS, read_retry_pause, translate
from graph.stores.neo4j_loop import Neo4jLoopWalker
from graph.stores.neo4j_rows import EDGE_INTERNALS, LABEL_BY_NAME, clean, walked_from
from graph.traversal import checkpoint
from graph.vault import PERSONAL_LABELS, PersonalDataVault, SealedNode
from graph.walks import Hop, Walked, check_walk

__all__ = ["Neo4jGraphStore"]


T = TypeVar("T")


def _node_row(sealed: SealedNode) -> dict[str, Any]:
    return {"id": sealed.id, "props": sealed.props, "search_text": sealed.search_text,
            "name_tokens": sealed.name_tokens, "exact_tokens": sealed.exact_tokens}


class Neo4jGraphStore(GraphStore):
    """A :class:`GraphStore` on Neo4j 5.

    Args:
        driver: an open ``neo4j.Driver``; the store closes it in :meth:`close`.
        database: the database name (``neo4j`` on Community Edition).
        address: how to name the server in error messages.
        vault: the keys of personal data (sealed before every write, opened after every
            read, see :mod:`graph.vault`); the public development keys when omitted.
        async_driver: makes a ``neo4j.AsyncDriver`` to the same server, for
            :meth:`open_loop_walker` (none: walks are read through ``driver`` only).

    Each :meth:`upsert_batch` is one managed write transaction: the driver runs it again
    after a transient failure (a deadlock with another writer), and the returned
    :class:`BatchWrite` counts those retries. Every driver error becomes a Loanwatch error
    (see :mod:`graph.stores.neo4j_errors`).
    """

    def __init__(self, driver: Driver, *, database: str = "neo4j", address: str = "",
                 vault: PersonalDataVault | None = None,
                 async_driver: Callable[[], AsyncDriver] | None = None) -> None:
        self._driver = driver
        self._async_driver = async_driver
        self._database = database
        self._address = address or "the configured Neo4j URI"
        self._sealed = SealedProperties(
            vault, where=f"the graph at {self._address} (database {database})", decode=clean)

    def __repr__(self) -> str:
        return f"Neo4jGraphStore({self._address!r}, database={self._database!r})"

    @contextmanager
    def _driver_errors(self) -> Iterator[None]:
        try:
            yield
        except DRIVER_ERRORS as exc:
            raise translate(exc, address=self._address, database=self._database) from exc

    def _read(self, query: str, **params: Any) -> list[Record]:
        """Every record of the read-only statement ``query``, as one auto-commit query.

        A managed transaction (``execute_query``) costs a second round trip for its COMMIT,
        and the borrower view is one statement: RUN and PULL go out together here, one round
        trip. What the managed transaction gave besides, running the work again after a
        transient failure (a leader switch, a connection the server closed), is kept: a
        read-only statement is safe to run again
        (:func:`graph.stores.neo4j_errors.read_retry_pause`).
        """
        with self._driver_errors():
            for attempt in itertools.count(1):
                try:
                    with self._driver.session(database=self._database,
                                              default_access_mode=READ_ACCESS) as session:
                        return list(session.run(query, params))  # type: ignore[arg-type]
                except DRIVER_ERRORS as exc:
                    pause = read_retry_pause(exc, attempt)
                    if pause is None:
                        raise
                    time.sleep(pause)
        raise AssertionError("unreachable: itertools.count never ends")

    def _write(self, work: Callable[[ManagedTransaction], T]) -> tuple[T, int]:
        """Run ``work`` in a managed write transaction; return its result and how many
        times the driver ran it again after a transient failure."""
        attempts = 0

        def counted(tx: ManagedTransaction) -> T:
            nonlocal attempts
            attempts += 1
            return work(tx)

        with self._driver_errors(), self._driver.session(database=self._database) as session:
            result = session.execute_write(counted)
        return result, attempts - 1

    # -- lifecycle -------------------------------------------------------------------------

    def ensure_schema(self) -> None:
        with self._driver_errors():
            for statement in cypher.SCHEMA:
                self._driver.execute_query(statement, database_=self._database)
        self._read("CALL db.awaitIndexes(300)")

    @property
    def vault(self) -> PersonalDataVault:
        """The keys this store seals and opens personal data with (the API seals the
        personal text fields of SQL records with the same ones)."""
        return self._sealed.vault

    def ping(self) -> None:
        with self._driver_errors():
            self._driver.verify_connectivity()

    def close(self) -> None:
        self._driver.close()

    # -- writes ----------------------------------------------------------------------------

    def upsert_batch(self, nodes: Sequence[Node], edges: Sequence[Edge]) -> BatchWrite:
        """See :meth:`GraphStore.upsert_batch`: one transaction, nodes then edges."""
        latest_nodes = merge_nodes(nodes)
        latest_edges = merge_edges(edges)
        if not latest_nodes and not latest_edges:
            return BatchWrite()
        ends = endpoint_ids(latest_edges.values())
        stored = self.labels_of(sorted(set(latest_nodes).union(ends)))
        # Checked here for a fast, clear error; checked again inside the transaction.
        check_labels_unchanged(latest_nodes, {i: stored[i] for i in latest_nodes if i in stored})
        labels = {**stored, **{i: node.label for i, node in latest_nodes.items()}}
        check_endpoints(latest_edges.values(), labels)
        if latest_nodes:
            self._sealed.refuse_plaintext(self.personal_data_sealed)
        node_rows: dict[Label, list[dict[str, Any]]] = defaultdict(list)
        seal = self._sealed.seal
        for node in latest_nodes.values():
            node_rows[node.label].append(_node_row(seal(node)))
        edge_rows: dict[RelType, list[dict[str, Any]]] = defaultdict(list)
        for edge in latest_edges.values():
            edge_rows[edge.type].append({"source": edge.source, "target": edge.target,
                                         "key": edge.key, "props": edge.props})

        def work(tx: ManagedTransaction) -> None:
            for label, rows in node_rows.items():
                conflicts = tx.run(cypher.node_upsert_query(label), rows=rows).single(strict=True)
                for node_id, stored_label in conflicts["conflicts"]:
                    raise InvalidGraphElement(
                        f"node {node_id!r} is a {stored_label}; it cannot become a "
                        f"{label.value}")
            for rel_type, rows in edge_rows.items():
                written = tx.run(cypher.edge_upsert_query(rel_type), rows=rows).single(strict=True)
                if written["written"] != len(rows):  # an end was deleted meanwhile
                    [missing] = tx.run(cypher.MISSING_QUERY, ids=endpoint_ids(
                        latest_edges.values())).single(strict=True)
                    raise NodeNotFound(missing[0] if missing else "?")

        _, retries = self._write(work)
        return BatchWrite(nodes=len(nodes), edges=len(edges), retries=retries)

    def rename_nodes(self, renames: Mapping[str, str]) -> int:
        if not renames:
            return 0
        wanted = check_renames(renames, self.labels_of(list({*renames, *renames.values()})))
        if not wanted:
            return 0
        olds = list(wanted)
        by_label: dict[Label, list[dict[str, Any]]] = defaultdict(list)
        [stored] = self._read(cypher.NODES_QUERY, ids=olds)
        for node_id, label_name, props in stored["nodes"]:
            label = LABEL_BY_NAME[label_name]
            renamed = self._sealed.moved(wanted[node_id], label, props)
            by_label[label].append({"new": renamed.id, "props": renamed.props,
                                    "search_text": renamed.search_text,
                                    "name_tokens": props.get("name_tokens"),
                                    "exact_tokens": props.get("exact_tokens")})
        rows = [{"old": old, "new": new} for old, new in wanted.items()]
        [record] = self._read(cypher.EDGE_TYPES_QUERY, ids=olds)
        types = [RelType(name) for name in record["types"]]

        def work(tx: Any) -> None:
            for label, nodes in by_label.items():
                tx.run(cypher.rename_node_query(label), rows=nodes).consume()
            for rel_type in types:
                for outgoing in (True, False):
                    tx.run(cypher.move_edges_query(rel_type, outgoing), rows=rows).consume()
            tx.run(cypher.DELETE_NODES_QUERY, ids=olds).consume()

        self._write(work)
        return sum(len(nodes) for nodes in by_label.values())

    # -- personal data at rest (graph.resealing.ResealableGraph) ---------------------------

    def personal_data_sealed(self) -> bool:
        """Whether no personal value is stored in clear (read from the data: one pass over
        the personal nodes, once per store object when it first writes)."""
        return not self._read(cypher.IN_CLEAR_QUERY,
                              labels=sorted(label.value for label in PERSONAL_LABELS),
                              personal=cypher.PERSONAL_NAMES, prefix=ENVELOPE_PREFIX)

    def mark_personal_data_sealed(self) -> None:
        """Nothing to record: :meth:`personal_data_sealed` reads the state from the data."""
        self._sealed.mark_sealed()

    def reseal_page(self, label: Label, after: str, limit: int) -> ResealPage:
        self._check_batch_size(limit)

        def work(tx: ManagedTransaction) -> tuple[int, int, str | None]:
            # The read sets each node's label to itself: the page's write locks are taken
            # before its values are read, so no concurrent write is lost.
            [record] = list(tx.run(cypher.RESEAL_READ_QUERY, after=after, label=label.value,
                                   limit=limit))
            rows = [_node_row(fresh) for fresh in self._sealed.resealed(label, (
                (node_id, props, props.get("name_tokens"), props.get("exact_tokens"))
                for node_id, props in record["nodes"]))]
            if rows:
                tx.run(cypher.RESEAL_WRITE_QUERY, rows=rows).consume()
            nodes = record["nodes"]
            return len(nodes), len(rows), max(n[0] for n in nodes) if nodes else None

        (examined, resealed, last_id), _ = self._write(work)
        return ResealPage(examined=examined, resealed=resealed, last_id=last_id)

    def delete_all(self) -> None:
        with self._driver_errors(), self._driver.session(database=self._database) as session:
            session.run(cypher.DELETE_ALL_QUERY).consume()

    # -- reads -----------------------------------------------------------------------------

    @staticmethod
    def _label_map(record: Any) -> dict[str, Label]:
        return dict(zip(record["ids"], map(LABEL_BY_NAME.__getitem__, record["labels"]),
                        strict=True))

    def nodes_with_label(self, label: Label) -> list[Node]:
        [record] = self._read(cypher.NODES_OF_LABEL_QUERY, label=label.value)
        opened = self._sealed.open
        nodes = [opened(node_id, label, props) for node_id, props in record["nodes"]]
        return sorted(nodes, key=lambda node: node.id)

    def labels_of(self, ids: Collection[str]) -> dict[str, Label]:
        if not ids:
            return {}
        return self._label_map(self._read(cypher.LABELS_QUERY, ids=list(ids))[0])

    def get_nodes(self, ids: Sequence[str]) -> list[Node | None]:
        if not ids:
            return []
        [record] = self._read(cypher.NODES_QUERY, ids=list(dict.fromkeys(ids)))
        opened = self._sealed.open
        found = {node_id: opened(node_id, LABEL_BY_NAME[label], props)
                 for node_id, label, props in record["nodes"]}
        return [found.get(node_id) for node_id in ids]

    def _incident_edges(
        self, ids: Sequence[str], types: Collection[RelType] | None
    ) -> list[Edge]:
        if not ids:
            return []
        [record] = self._read(
            cypher.INCIDENT_QUERY,
            ids=list(dict.fromkeys(ids)),
            types=None if types is None else [t.value for t in types],
        )
        seen: dict[tuple[str, str, str, str], Edge] = {}
        for rel_type, source, target, key, props in record["edges"]:
            edge = Edge(RelType(rel_type), source, target, key or "",
                        clean(props, EDGE_INTERNALS))
            seen.setdefault(edge.identity, edge)
        return list(seen.values())

    def walk(self, ids: Sequence[str], hops: Sequence[Hop]) -> Walked:
        """See :meth:`GraphStore.walk`: here one statement, the whole tree at once
        (:func:`graph.stores.neo4j_cypher.walk_query`), instead of two round trips a level;
        the same nodes and edges as :meth:`get_nodes` and :meth:`edges_of` give."""
        check_walk(hops)
        start = list(dict.fromkeys(ids))
        if not start:
            return Walked()
        checkpoint()
        [record] = self._read(cypher.walk_query(tuple(hops)), ids=start)
        return walked_from(start, hops, record["found"], self._sealed.open)

    def open_loop_walker(self) -> Neo4jLoopWalker | None:
        """See :meth:`GraphStore.open_loop_walker`: on the asynchronous driver the store
        was given a factory of (``None`` without one)."""
        if self._async_driver is None:
            return None
        return Neo4jLoopWalker(self._async_driver(), database=self._database,
                               address=self._address, sealed=self._sealed)

    def party_ids_where(self, keys: Sequence[str], value: str) -> list[str]:
        wanted = self._check_property_keys(keys)
        [record] = self._read(cypher.PARTIES_WHERE_QUERY, keys=wanted,
                              needle=value.strip().lower())
        return sorted(record["ids"])

    def search_parties(self, text: str, limit: int = DEFAULT_SEARCH_LIMIT) -> list[Node]:
        """See :meth:`GraphStore.search_parties`: person names through their blind-index
        tokens, national ids through their exact token, the candidates' names opened to
        check the match and to order them; then the first ``limit`` opened whole (one
        query, as before)."""
        plan = self._sealed.search_plan(text, limit)
        if plan is None:
            return []
        [record] = self._read(
            cypher.SEARCH_QUERY, needle=plan.needle,
            labels=[label.value for label in PARTY_LABELS],
            name_patterns=plan.name_patterns(), exact_patterns=plan.exact_patterns())
        return self._sealed.search_hits(plan, (
            (node_id, LABEL_BY_NAME[label], name, exact_tokens, props)
            for node_id, label, name, exact_tokens, props in record["hits"]), limit)

    def neighbourhood(self, center: str, hops: int = 2, *,
                      labels: Collection[Label] | None = None,
                      types: Collection[RelType] | None = None,
                      limit: int = DEFAULT_NEIGHBOURHOOD_LIMIT) -> Subgraph:
        """See :meth:`GraphStore.neighbourhood`: here one query, the walk and the subgraph
        together (:func:`graph.stores.neo4j_cypher.neighbourhood_query`), instead of one or
        two round trips a hop; the same answer as the walk of :mod:`graph.traversal`."""
        self._check_hops(hops, limit)
        wanted = None if types is None else tuple(sorted(set(types)))
        checkpoint()
        records = self._read(
            cypher.neighbourhood_query(hops, wanted), center=center, room=limit - 1,
            labels=None if labels is None else sorted(label.value for label in labels))
        if not records:
            raise NodeNotFound(center)
        [record] = records
        opened = self._sealed.open
        nodes = [opened(node_id, LABEL_BY_NAME[label], props)
                 for node_id, label, props in record["nodes"]]
        edges = [Edge(RelType(rel_type), source, target, key or "",
                      clean(props, EDGE_INTERNALS))
                 for rel_type, source, target, key, props in record["edges"]]
        return Subgraph(nodes=nodes, edges=sorted_edges(edges), truncated=record["cut"])

    def project(
        self,
        types: Collection[RelType],
        labels: Collection[Label] | None = None,
    ) -> nx.MultiDiGraph:
        graph = nx.MultiDiGraph()
        wanted = [t.value for t in types]
        if not wanted:
            return graph
        records = self._read(
            cypher.PROJECT_QUERY, types=wanted,
            labels=None if labels is None else [label.value for label in labels])
        for r in records:
            for end in ("source", "target"):
                if r[end] not in graph:
                    graph.add_node(r[end], label=r[f"{end}_label"], **self._sealed.open_props(
                        r[end], LABEL_BY_NAME[r[f"{end}_label"]], r[f"{end}_props"]))
            graph.add_edge(r["source"], r["target"], key=r["key"] or "", type=r["type"],
                           **clean(r["props"], EDGE_INTERNALS))
        return graph

    def iter_edges(
        self,
        types: Collection[RelType],
        *,
        props: Sequence[str] = (),
        source_props: Sequence[str] = (),
        target_props: Sequence[str] = (),
        batch_size: int = DEFAULT_EDGE_BATCH,
    ) -> Iterator[list[EdgeRow]]:
        self._check_batch_size(batch_size)
        wanted = [t.value for t in types]
        if not wanted:
            return
        parameters = {"types": wanted, "props": list(props), "page": batch_size,
                      "source_props": list(source_props), "target_props": list(target_props)}
        after = ""
        while True:
            # A page of ``batch_size`` source nodes holds all their edges (more than
            # ``batch_size`` around a node of very many): cut into batches here.
            records = self._read(cypher.EDGES_PAGE_QUERY, after=after, **parameters)
            if not records or records[0]["last"] is None:
                return
            rows = records[0]["rows"]
            names = [*props, *source_props, *target_props]
            opened = self._sealed.open_loose
            for start in range(0, len(rows), batch_size):
                yield [(rel_type, source, target, key,
                        tuple(opened(name, value) for name, value in zip(names, values,
                                                                         strict=True)))
                       for rel_type, source, target, key, values
                       in rows[start:start + batch_size]]
            after = records[0]["last"]

    def count(self) -> dict[str, int]:
        counts = {r["label"]: r["n"] for r in self._read(cypher.COUNT_NODES_QUERY)}
        counts.update({r["type"]: r["n"] for r in self._read(cypher.COUNT_EDGES_QUERY)})
        return counts
