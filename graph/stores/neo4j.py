"""The Neo4j graph store: the production backend, over Bolt with the official driver.

Every node carries the label ``Entity`` beside its own label, so that one uniqueness
constraint on ``Entity.id`` keys all of them and every edge write finds its two ends by one
index look-up. Writes are batched with ``UNWIND``: one round trip per label or relationship
type per batch, instead of one per row.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Final

import networkx as nx
from neo4j import Driver
from neo4j.exceptions import AuthError, DriverError, Neo4jError, ServiceUnavailable

from graph.batches import (
    check_endpoints,
    check_labels_unchanged,
    check_renames,
    endpoint_ids,
    merge_edges,
    merge_nodes,
)
from graph.model import Edge, Label, Node, RelType
from graph.partition import node_disjoint_chunks
from graph.store import DEFAULT_SEARCH_LIMIT, GraphStore
from loanwatch.errors import BackendUnavailable

__all__ = ["Neo4jGraphStore"]

#: Properties the store keeps on nodes and edges for itself; never returned to callers.
_NODE_INTERNALS: Final = ("id", "label", "search_text")
_LABEL_BY_NAME: Final = {label.value: label for label in Label}
_EDGE_INTERNALS: Final = ("key",)

#: Concurrent write transactions per upsert (see :class:`Neo4jGraphStore`).
DEFAULT_WRITE_THREADS: Final = 4
#: Fewer rows than this are not worth a transaction of their own.
MIN_ROWS_PER_WRITE: Final = 1_000

_SCHEMA: Final = (
    "CREATE CONSTRAINT entity_id IF NOT EXISTS FOR (n:Entity) REQUIRE n.id IS UNIQUE",
    "CREATE INDEX entity_label IF NOT EXISTS FOR (n:Entity) ON (n.label)",
    "CREATE TEXT INDEX entity_search IF NOT EXISTS FOR (n:Entity) ON (n.search_text)",
)

# Results come back as one record holding lists: the driver receives records one message
# at a time, which costs far more than the query for tens of thousands of rows.
_LABELS_QUERY: Final = """
UNWIND $ids AS id
MATCH (n:Entity {id: id})
RETURN collect(n.id) AS ids, collect(n.label) AS labels
"""

_INCIDENT_QUERY: Final = """
UNWIND $ids AS id
MATCH (n:Entity {id: id})-[r]-()
WHERE $types IS NULL OR type(r) IN $types
WITH DISTINCT r
RETURN collect([type(r), startNode(r).id, endNode(r).id, r.key, properties(r)]) AS edges
"""


def _node_upsert_query(label: Label) -> str:
    # Labels cannot be query parameters; they come from the Label enum, never from input.
    return f"""
UNWIND $rows AS row
MERGE (n:Entity {{id: row.id}})
SET n:{label.value}, n.label = '{label.value}', n += row.props,
    n.search_text = CASE WHEN row.props.name IS NULL
                         THEN coalesce(n.search_text, row.search_text)
                         ELSE row.search_text END
"""


def _edge_upsert_query(rel_type: RelType) -> str:
    return f"""
UNWIND $rows AS row
MATCH (a:Entity {{id: row.source}})
MATCH (b:Entity {{id: row.target}})
MERGE (a)-[r:{rel_type.value} {{key: row.key}}]->(b)
SET r += row.props
"""


def _rename_node_query(label: Label) -> str:
    return f"""
UNWIND $rows AS row
MERGE (n:Entity {{id: row.new}})
SET n:{label.value}, n.label = '{label.value}', n += row.props, n.search_text = row.search_text
"""


def _move_edges_query(rel_type: RelType, outgoing: bool) -> str:
    # An edge cannot be re-pointed in Cypher: a copy is merged at the new end, then the old
    # one deleted. A self-loop moves whole in the outgoing pass.
    if outgoing:
        match = f"MATCH (old:Entity {{id: row.old}})-[r:{rel_type.value}]->(other)"
        merge = f"MERGE (new)-[moved:{rel_type.value} {{key: r.key}}]->(end)"
    else:
        match = f"MATCH (other)-[r:{rel_type.value}]->(old:Entity {{id: row.old}})"
        merge = f"MERGE (end)-[moved:{rel_type.value} {{key: r.key}}]->(new)"
    return f"""
UNWIND $rows AS row
{match}
MATCH (new:Entity {{id: row.new}})
WITH r, new, CASE WHEN other = old THEN new ELSE other END AS end
{merge}
SET moved += properties(r)
DELETE r
"""


_EDGE_TYPES_QUERY: Final = """
UNWIND $ids AS id
MATCH (:Entity {id: id})-[r]-()
RETURN collect(DISTINCT type(r)) AS types
"""


def _clean(props: dict[str, Any], internals: Sequence[str]) -> dict[str, Any]:
    return {k: v for k, v in props.items() if k not in internals}


class Neo4jGraphStore(GraphStore):
    """A :class:`GraphStore` on Neo4j 5.

    Args:
        driver: an open ``neo4j.Driver``; the store closes it in :meth:`close`.
        database: the database name (``neo4j`` on Community Edition).
        address: how to name the server in error messages.
        write_threads: concurrent transactions one large upsert is split into. A
            Neo4j server commits one transaction at a time per client far below its
            capacity (2 transactions wrote 1.4–2.2x as many nodes per second as 1 on a
            2-core machine; a whole import ran 25–30 % faster with 4), so a batch is
            checked whole first, then written in this many transactions at once.
    """

    def __init__(self, driver: Driver, *, database: str = "neo4j", address: str = "",
                 write_threads: int = DEFAULT_WRITE_THREADS) -> None:
        if write_threads < 1:
            raise ValueError(f"write_threads must be at least 1, got {write_threads}")
        self._driver = driver
        self._database = database
        self._address = address or "the configured Neo4j URI"
        self._write_threads = write_threads
        self._writers = ThreadPoolExecutor(max_workers=write_threads,
                                           thread_name_prefix="neo4j-writer")

    def __repr__(self) -> str:
        return f"Neo4jGraphStore({self._address!r}, database={self._database!r})"

    def _unavailable(self, exc: Exception) -> BackendUnavailable:
        return BackendUnavailable(
            "Neo4j", self._address, str(exc).splitlines()[0] if str(exc) else type(exc).__name__,
            suggestion="start it with `loanwatch neo4j start`, or check LOANWATCH_NEO4J_URI",
        )

    def _read(self, query: str, **params: Any) -> list[Any]:
        try:
            records, _, _ = self._driver.execute_query(
                query, params, database_=self._database, routing_="r"
            )
        except (ServiceUnavailable, AuthError) as exc:
            raise self._unavailable(exc) from exc
        return records

    def _write(self, work: Any) -> Any:
        try:
            with self._driver.session(database=self._database) as session:
                return session.execute_write(work)
        except (ServiceUnavailable, AuthError) as exc:
            raise self._unavailable(exc) from exc

    def _write_rows(self, query: str, rows: list[dict[str, Any]], *, edges: bool) -> None:
        """Run the ``UNWIND $rows`` ``query`` over ``rows`` in concurrent transactions.

        Node rows are cut into equal parts (distinct ids take no lock in common); edge rows
        into parts that share no node (see :mod:`graph.partition`), so that the
        transactions never wait for each other. Managed transactions retry what fails
        transiently all the same.
        """
        parts = min(self._write_threads, len(rows) // MIN_ROWS_PER_WRITE)
        if parts < 2:
            self._write(lambda tx: tx.run(query, rows=rows).consume())
            return
        if edges:
            chunks = node_disjoint_chunks(rows, parts)
        else:
            size = -(-len(rows) // parts)
            chunks = [rows[i:i + size] for i in range(0, len(rows), size)]
        futures = [
            self._writers.submit(self._write, lambda tx, c=chunk: tx.run(query, rows=c).consume())
            for chunk in chunks
        ]
        for future in futures:
            future.result()

    # -- lifecycle -------------------------------------------------------------------------

    def ensure_schema(self) -> None:
        for statement in _SCHEMA:
            try:
                self._driver.execute_query(statement, database_=self._database)
            except (ServiceUnavailable, AuthError) as exc:
                raise self._unavailable(exc) from exc
        self._read("CALL db.awaitIndexes(300)")

    def ping(self) -> None:
        try:
            self._driver.verify_connectivity()
        except (DriverError, Neo4jError, OSError) as exc:
            raise self._unavailable(exc) from exc

    def close(self) -> None:
        self._writers.shutdown(wait=True)
        self._driver.close()

    # -- writes ----------------------------------------------------------------------------

    def upsert_nodes(self, nodes: Sequence[Node]) -> int:
        """See :meth:`GraphStore.upsert_nodes`. The whole batch is checked before the first
        write; a server failure part way through may leave part of it written, and writing
        the batch again completes it (upserts are idempotent)."""
        if not nodes:
            return 0
        latest = merge_nodes(nodes)
        check_labels_unchanged(latest, self.labels_of(list(latest)))
        by_label: dict[Label, list[dict[str, Any]]] = defaultdict(list)
        for node in latest.values():
            by_label[node.label].append(
                {"id": node.id, "props": node.props, "search_text": node.search_text}
            )
        for label, rows in by_label.items():
            self._write_rows(_node_upsert_query(label), rows, edges=False)
        return len(nodes)

    def upsert_edges(self, edges: Sequence[Edge]) -> int:
        """See :meth:`GraphStore.upsert_edges` and the note on failures in
        :meth:`upsert_nodes`."""
        if not edges:
            return 0
        latest = merge_edges(edges)
        check_endpoints(latest.values(), self.labels_of(endpoint_ids(latest.values())))
        by_type: dict[RelType, list[dict[str, Any]]] = defaultdict(list)
        for edge in latest.values():
            by_type[edge.type].append(
                {"source": edge.source, "target": edge.target, "key": edge.key,
                 "props": edge.props}
            )
        for rel_type, rows in by_type.items():
            self._write_rows(_edge_upsert_query(rel_type), rows, edges=True)
        return len(edges)

    def rename_nodes(self, renames: Mapping[str, str]) -> int:
        if not renames:
            return 0
        wanted = check_renames(renames, self.labels_of(list({*renames, *renames.values()})))
        if not wanted:
            return 0
        olds = list(wanted)
        by_label: dict[Label, list[dict[str, Any]]] = defaultdict(list)
        for node in self.get_nodes(olds):
            if node is None:  # deleted since labels_of: nothing to rename
                continue
            renamed = Node(wanted[node.id], node.label, node.props)
            by_label[node.label].append({"new": renamed.id, "props": renamed.props,
                                         "search_text": renamed.search_text})
        rows = [{"old": old, "new": new} for old, new in wanted.items()]
        [record] = self._read(_EDGE_TYPES_QUERY, ids=olds)
        types = [RelType(name) for name in record["types"]]

        def work(tx: Any) -> None:
            for label, nodes in by_label.items():
                tx.run(_rename_node_query(label), rows=nodes).consume()
            for rel_type in types:
                for outgoing in (True, False):
                    tx.run(_move_edges_query(rel_type, outgoing), rows=rows).consume()
            tx.run("UNWIND $ids AS id MATCH (n:Entity {id: id}) DETACH DELETE n",
                   ids=olds).consume()

        self._write(work)
        return sum(len(nodes) for nodes in by_label.values())

    def delete_all(self) -> None:
        try:
            with self._driver.session(database=self._database) as session:
                session.run(
                    "MATCH (n:Entity) CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS"
                ).consume()
        except (ServiceUnavailable, AuthError) as exc:
            raise self._unavailable(exc) from exc

    # -- reads -----------------------------------------------------------------------------

    @staticmethod
    def _label_map(record: Any) -> dict[str, Label]:
        return dict(zip(record["ids"], map(_LABEL_BY_NAME.__getitem__, record["labels"]),
                        strict=True))

    def nodes_with_label(self, label: Label) -> list[Node]:
        [record] = self._read(
            "MATCH (n:Entity) WHERE n.label = $label "
            "RETURN collect([n.id, properties(n)]) AS nodes",
            label=label.value,
        )
        nodes = [Node(node_id, label, _clean(props, _NODE_INTERNALS))
                 for node_id, props in record["nodes"]]
        return sorted(nodes, key=lambda node: node.id)

    def labels_of(self, ids: Collection[str]) -> dict[str, Label]:
        if not ids:
            return {}
        return self._label_map(self._read(_LABELS_QUERY, ids=list(ids))[0])

    def get_nodes(self, ids: Sequence[str]) -> list[Node | None]:
        if not ids:
            return []
        [record] = self._read(
            "UNWIND $ids AS id MATCH (n:Entity {id: id}) "
            "RETURN collect([n.id, n.label, properties(n)]) AS nodes",
            ids=list(dict.fromkeys(ids)),
        )
        found = {
            node_id: Node(node_id, _LABEL_BY_NAME[label], _clean(props, _NODE_INTERNALS))
            for node_id, label, props in record["nodes"]
        }
        return [found.get(node_id) for node_id in ids]

    def _incident_edges(
        self, ids: Sequence[str], types: Collection[RelType] | None
    ) -> list[Edge]:
        if not ids:
            return []
        [record] = self._read(
            _INCIDENT_QUERY,
            ids=list(dict.fromkeys(ids)),
            types=None if types is None else [t.value for t in types],
        )
        seen: dict[tuple[str, str, str, str], Edge] = {}
        for rel_type, source, target, key, props in record["edges"]:
            edge = Edge(RelType(rel_type), source, target, key or "",
                        _clean(props, _EDGE_INTERNALS))
            seen.setdefault(edge.identity, edge)
        return list(seen.values())

    def search_parties(self, text: str, limit: int = DEFAULT_SEARCH_LIMIT) -> list[Node]:
        needle = text.strip().lower()
        if not needle or limit < 1:
            return []
        records = self._read(
            """
            MATCH (n:Entity)
            WHERE n.search_text CONTAINS $needle AND n.label IN ['Person', 'Company']
            RETURN n.id AS id, n.label AS label, properties(n) AS props
            ORDER BY CASE WHEN toLower(n.id) = $needle THEN 0 ELSE 1 END,
                     n.name IS NULL, n.name, n.id
            LIMIT $limit
            """,
            needle=needle,
            limit=limit,
        )
        return [Node(r["id"], Label(r["label"]), _clean(r["props"], _NODE_INTERNALS))
                for r in records]

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
            """
            MATCH (a:Entity)-[r]->(b:Entity)
            WHERE type(r) IN $types
              AND ($labels IS NULL OR (a.label IN $labels AND b.label IN $labels))
            RETURN a.id AS source, a.label AS source_label, properties(a) AS source_props,
                   b.id AS target, b.label AS target_label, properties(b) AS target_props,
                   type(r) AS type, r.key AS key, properties(r) AS props
            """,
            types=wanted,
            labels=None if labels is None else [label.value for label in labels],
        )
        for r in records:
            for end in ("source", "target"):
                if r[end] not in graph:
                    graph.add_node(r[end], label=r[f"{end}_label"],
                                   **_clean(r[f"{end}_props"], _NODE_INTERNALS))
            graph.add_edge(r["source"], r["target"], key=r["key"] or "", type=r["type"],
                           **_clean(r["props"], _EDGE_INTERNALS))
        return graph

    def count(self) -> dict[str, int]:
        counts = {r["label"]: r["n"] for r in self._read(
            "MATCH (n:Entity) RETURN n.label AS label, count(*) AS n")}
        counts.update({r["type"]: r["n"] for r in self._read(
            "MATCH ()-[r]->() RETURN type(r) AS type, count(*) AS n")})
        return counts
