"""The Neo4j graph store: the production backend, over Bolt with the official driver.

Every node carries the label ``Entity`` beside its own label, so that one uniqueness
constraint on ``Entity.id`` keys all of them and every edge write finds its two ends by one
index look-up. Writes are batched with ``UNWIND``: one statement per label or relationship
type, all of a batch in one transaction, so that a batch is written whole or not at all.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, Final, TypeVar

import networkx as nx
from neo4j import Driver, ManagedTransaction

from graph.batches import (
    check_endpoints,
    check_labels_unchanged,
    check_renames,
    endpoint_ids,
    merge_edges,
    merge_nodes,
)
from graph.errors import InvalidGraphElement, NodeNotFound, PlaintextPersonalData
from graph.field_cipher import ENVELOPE_PREFIX
from graph.model import PARTY_LABELS, Edge, Label, Node, RelType
from graph.personal_data import PERSONAL_PROPERTIES
from graph.resealing import ResealPage
from graph.store import (
    DEFAULT_EDGE_BATCH,
    DEFAULT_SEARCH_LIMIT,
    BatchWrite,
    EdgeRow,
    GraphStore,
)
from graph.stores.neo4j_errors import DRIVER_ERRORS, translate
from graph.vault import PERSONAL_LABELS, PersonalDataVault, SealedNode

__all__ = ["Neo4jGraphStore"]

#: Properties the store keeps on nodes and edges for itself; never returned to callers.
_NODE_INTERNALS: Final = ("id", "label", "search_text", "name_tokens", "exact_tokens")
#: What a re-seal reads beside the properties: the store's own index tokens.
_TOKEN_PROPERTIES: Final = ("name_tokens", "exact_tokens")
#: Every personal property name, with the exact parts of amounts.
_PERSONAL_NAMES: Final = sorted({f"{entry.name}{suffix}" for entry in PERSONAL_PROPERTIES
                                 for suffix in ("", "_minor", "_currency")})
_LABEL_BY_NAME: Final = {label.value: label for label in Label}
_EDGE_INTERNALS: Final = ("key",)

_SCHEMA: Final = (
    "CREATE CONSTRAINT entity_id IF NOT EXISTS FOR (n:Entity) REQUIRE n.id IS UNIQUE",
    "CREATE INDEX entity_label IF NOT EXISTS FOR (n:Entity) ON (n.label)",
    "CREATE TEXT INDEX entity_search IF NOT EXISTS FOR (n:Entity) ON (n.search_text)",
    "CREATE TEXT INDEX entity_name_tokens IF NOT EXISTS FOR (n:Entity) ON (n.name_tokens)",
    "CREATE TEXT INDEX entity_exact_tokens IF NOT EXISTS FOR (n:Entity) ON (n.exact_tokens)",
)

#: The first personal node holding a personal value in clear (written before encryption at
#: rest), if any. Neo4j has no place for a store-wide fact but nodes, and a marker node
#: would be data of its own; the state is read from the data instead, once per store.
_IN_CLEAR_QUERY: Final = """
MATCH (n:Entity) WHERE n.label IN $labels
  AND any(k IN keys(n) WHERE k IN $personal AND NOT toString(n[k]) STARTS WITH $prefix)
RETURN n.id AS id LIMIT 1
"""

_RESEAL_READ_QUERY: Final = """
MATCH (n:Entity) WHERE n.id > $after AND n.label = $label
WITH n ORDER BY n.id LIMIT $limit
SET n.label = n.label
RETURN collect([n.id, properties(n)]) AS nodes
"""
_RESEAL_WRITE_QUERY: Final = """
UNWIND $rows AS row
MATCH (n:Entity {id: row.id})
SET n += row.props, n.search_text = row.search_text, n.name_tokens = row.name_tokens,
    n.exact_tokens = row.exact_tokens
"""

_SEARCH_QUERY: Final = """
MATCH (n:Entity)
WHERE n.label IN $labels AND (n.search_text CONTAINS $needle
   OR any(tokens IN $name_patterns WHERE all(t IN tokens WHERE n.name_tokens CONTAINS t))
   OR any(t IN $exact_patterns WHERE n.exact_tokens CONTAINS t))
RETURN collect([n.id, n.label, n.name, n.exact_tokens, properties(n)]) AS hits
"""

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

# A page of source nodes in id order (an index range seek on the id constraint), with
# their outgoing edges of the wanted types as one list: the driver decodes one record per
# page instead of one per edge, which costs far more. Dynamic property access reads only
# the properties asked for.
_EDGES_PAGE_QUERY: Final = """
MATCH (a:Entity) WHERE a.id > $after
WITH a ORDER BY a.id LIMIT $page
WITH collect(a) AS sources, max(a.id) AS last
UNWIND sources AS a
OPTIONAL MATCH (a)-[r]->(b:Entity) WHERE type(r) IN $types
RETURN last, collect(CASE WHEN r IS NOT NULL THEN
    [type(r), a.id, b.id, coalesce(r.key, ''),
     [name IN $props | r[name]] + [name IN $source_props | a[name]]
     + [name IN $target_props | b[name]]] END) AS rows
"""

_MISSING_QUERY: Final = """
UNWIND $ids AS id
OPTIONAL MATCH (n:Entity {id: id})
WITH id, n WHERE n IS NULL
RETURN collect(id) AS missing
"""

T = TypeVar("T")


def _node_upsert_query(label: Label) -> str:
    # Labels cannot be query parameters; they come from the Label enum, never from input.
    # The label is set only when the node is created, and the node is written only when its
    # stored label is this one. MERGE on the uniqueness constraint waits for a concurrent
    # transaction that creates the same id, so the label read here is the committed one:
    # two imports at once cannot give one node two labels. Conflicts come back, and the
    # transaction function rolls the batch back.
    return f"""
UNWIND $rows AS row
MERGE (n:Entity {{id: row.id}})
ON CREATE SET n.label = '{label.value}'
WITH n, row
FOREACH (_ IN CASE WHEN n.label = '{label.value}' THEN [1] ELSE [] END |
    SET n:{label.value}, n += row.props,
        n.search_text = CASE WHEN row.props.name IS NULL
                             THEN coalesce(n.search_text, row.search_text)
                             ELSE row.search_text END,
        n.name_tokens = coalesce(row.name_tokens, n.name_tokens),
        n.exact_tokens = coalesce(row.exact_tokens, n.exact_tokens))
WITH n WHERE n.label <> '{label.value}'
RETURN collect([n.id, n.label]) AS conflicts
"""


def _edge_upsert_query(rel_type: RelType) -> str:
    return f"""
UNWIND $rows AS row
MATCH (a:Entity {{id: row.source}})
MATCH (b:Entity {{id: row.target}})
MERGE (a)-[r:{rel_type.value} {{key: row.key}}]->(b)
SET r += row.props
RETURN count(*) AS written
"""


def _rename_node_query(label: Label) -> str:
    return f"""
UNWIND $rows AS row
MERGE (n:Entity {{id: row.new}})
SET n:{label.value}, n.label = '{label.value}', n += row.props, n.search_text = row.search_text,
    n.name_tokens = coalesce(row.name_tokens, n.name_tokens),
    n.exact_tokens = coalesce(row.exact_tokens, n.exact_tokens)
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

    Each :meth:`upsert_batch` is one managed write transaction: the driver runs it again
    after a transient failure (a deadlock with another writer), and the returned
    :class:`BatchWrite` counts those retries. Every driver error becomes a Loanwatch error
    (see :mod:`graph.stores.neo4j_errors`).
    """

    def __init__(self, driver: Driver, *, database: str = "neo4j", address: str = "",
                 vault: PersonalDataVault | None = None) -> None:
        self._driver = driver
        self._database = database
        self._address = address or "the configured Neo4j URI"
        self._vault = vault or PersonalDataVault.development()
        self._sealed_checked = False

    def __repr__(self) -> str:
        return f"Neo4jGraphStore({self._address!r}, database={self._database!r})"

    @contextmanager
    def _driver_errors(self) -> Iterator[None]:
        try:
            yield
        except DRIVER_ERRORS as exc:
            raise translate(exc, address=self._address, database=self._database) from exc

    def _read(self, query: str, **params: Any) -> list[Any]:
        with self._driver_errors():
            records, _, _ = self._driver.execute_query(
                query, params, database_=self._database, routing_="r"
            )
        return records

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
            for statement in _SCHEMA:
                self._driver.execute_query(statement, database_=self._database)
        self._read("CALL db.awaitIndexes(300)")

    @property
    def vault(self) -> PersonalDataVault:
        """The keys this store seals and opens personal data with (the API seals the
        personal text fields of SQL records with the same ones)."""
        return self._vault

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
            self._check_sealed()
        node_rows: dict[Label, list[dict[str, Any]]] = defaultdict(list)
        seal = self._vault.seal_node
        for node in latest_nodes.values():
            node_rows[node.label].append(_node_row(seal(node)))
        edge_rows: dict[RelType, list[dict[str, Any]]] = defaultdict(list)
        for edge in latest_edges.values():
            edge_rows[edge.type].append({"source": edge.source, "target": edge.target,
                                         "key": edge.key, "props": edge.props})

        def work(tx: ManagedTransaction) -> None:
            for label, rows in node_rows.items():
                conflicts = tx.run(_node_upsert_query(label), rows=rows).single(strict=True)
                for node_id, stored_label in conflicts["conflicts"]:
                    raise InvalidGraphElement(
                        f"node {node_id!r} is a {stored_label}; it cannot become a "
                        f"{label.value}")
            for rel_type, rows in edge_rows.items():
                written = tx.run(_edge_upsert_query(rel_type), rows=rows).single(strict=True)
                if written["written"] != len(rows):  # an end was deleted meanwhile
                    [missing] = tx.run(_MISSING_QUERY, ids=endpoint_ids(
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
        [stored] = self._read(
            "UNWIND $ids AS id MATCH (n:Entity {id: id}) "
            "RETURN collect([n.id, n.label, properties(n)]) AS nodes", ids=olds)
        for node_id, label_name, props in stored["nodes"]:
            # Moved as stored: sealed values stay sealed; the search text follows the id.
            label = _LABEL_BY_NAME[label_name]
            renamed = self._vault.seal_node(
                Node(wanted[node_id], label, _clean(props, _NODE_INTERNALS)))
            by_label[label].append({"new": renamed.id, "props": renamed.props,
                                    "search_text": renamed.search_text,
                                    **{name: props.get(name) for name in _TOKEN_PROPERTIES}})
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

    # -- personal data at rest (graph.resealing.ResealableGraph) ---------------------------

    def _check_sealed(self) -> None:
        """Refuse to write into a store that still holds personal data in clear: new
        sealed values must not be mixed silently with old plaintext ones."""
        if self._sealed_checked:
            return
        if not self.personal_data_sealed():
            raise PlaintextPersonalData(
                f"the graph at {self._address} (database {self._database}) holds personal "
                "data written before encryption at rest; nothing was written",
                suggestion="run `loanwatch migrate`, which encrypts it")
        self._sealed_checked = True

    def personal_data_sealed(self) -> bool:
        """Whether no personal value is stored in clear (read from the data: one pass over
        the personal nodes, once per store object when it first writes)."""
        return not self._read(_IN_CLEAR_QUERY, labels=sorted(label.value
                                                             for label in PERSONAL_LABELS),
                              personal=_PERSONAL_NAMES, prefix=ENVELOPE_PREFIX)

    def mark_personal_data_sealed(self) -> None:
        """Nothing to record: :meth:`personal_data_sealed` reads the state from the data."""
        self._sealed_checked = True

    def reseal_page(self, label: Label, after: str, limit: int) -> ResealPage:
        self._check_batch_size(limit)
        vault = self._vault

        def work(tx: ManagedTransaction) -> tuple[int, int, str | None]:
            # The read sets each node's label to itself: the page's write locks are taken
            # before its values are read, so no concurrent write is lost.
            [record] = list(tx.run(_RESEAL_READ_QUERY, after=after, label=label.value,
                                   limit=limit))
            rows = []
            for node_id, props in record["nodes"]:
                stored = {**_clean(props, _NODE_INTERNALS),
                          **{name: props.get(name) for name in _TOKEN_PROPERTIES}}
                fresh = vault.reseal(node_id, label, stored)
                if fresh is not None:
                    rows.append(_node_row(fresh))
            if rows:
                tx.run(_RESEAL_WRITE_QUERY, rows=rows).consume()
            nodes = record["nodes"]
            return len(nodes), len(rows), max(n[0] for n in nodes) if nodes else None

        (examined, resealed, last_id), _ = self._write(work)
        return ResealPage(examined=examined, resealed=resealed, last_id=last_id)

    def delete_all(self) -> None:
        with self._driver_errors(), self._driver.session(database=self._database) as session:
            session.run(
                "MATCH (n:Entity) CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS"
            ).consume()

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
        opened = self._vault.open_node
        nodes = [opened(node_id, label, _clean(props, _NODE_INTERNALS))
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
        opened = self._vault.open_node
        found = {
            node_id: opened(node_id, _LABEL_BY_NAME[label], _clean(props, _NODE_INTERNALS))
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

    def party_ids_where(self, keys: Sequence[str], value: str) -> list[str]:
        wanted = self._check_property_keys(keys)
        [record] = self._read(
            """
            MATCH (n:Entity) WHERE n.label IN ['Person', 'Company']
              AND any(key IN $keys WHERE n[key] IS :: STRING
                      AND toLower(trim(n[key])) = $needle)
            RETURN collect(n.id) AS ids
            """,
            keys=wanted, needle=value.strip().lower(),
        )
        return sorted(record["ids"])

    def search_parties(self, text: str, limit: int = DEFAULT_SEARCH_LIMIT) -> list[Node]:
        """See :meth:`GraphStore.search_parties`: person names through their blind-index
        tokens, national ids through their exact token, the candidates' names opened to
        check the match and to order them; then the first ``limit`` opened whole (one
        query, as before)."""
        needle = text.strip().lower()
        if not needle or limit < 1:
            return []
        plan = self._vault.search_plan(needle)
        [record] = self._read(
            _SEARCH_QUERY, needle=needle, labels=[label.value for label in PARTY_LABELS],
            name_patterns=plan.name_patterns(), exact_patterns=plan.exact_patterns())
        hits: list[tuple[bool, bool, bytes, str, Label, dict[str, Any]]] = []
        for node_id, label_name, stored_name, exact_tokens, props in record["hits"]:
            label = _LABEL_BY_NAME[label_name]
            matched, name = self._vault.search_hit(plan, node_id, label, stored_name,
                                                   exact_tokens)
            if matched:
                hits.append((node_id.lower() != needle, name is None, (name or "").encode(),
                             node_id, label, props))
        hits.sort(key=lambda hit: (*hit[:3], hit[3].encode()))
        return [self._vault.open_node(hit[3], hit[4], _clean(hit[5], _NODE_INTERNALS))
                for hit in hits[:limit]]

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
                    graph.add_node(r[end], label=r[f"{end}_label"], **self._vault.open_props(
                        r[end], _LABEL_BY_NAME[r[f"{end}_label"]],
                        _clean(r[f"{end}_props"], _NODE_INTERNALS)))
            graph.add_edge(r["source"], r["target"], key=r["key"] or "", type=r["type"],
                           **_clean(r["props"], _EDGE_INTERNALS))
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
            records = self._read(_EDGES_PAGE_QUERY, after=after, **parameters)
            if not records or records[0]["last"] is None:
                return
            rows = records[0]["rows"]
            names = [*props, *source_props, *target_props]
            opened = self._vault.open_loose
            for start in range(0, len(rows), batch_size):
                yield [(rel_type, source, target, key,
                        tuple(opened(name, value) for name, value in zip(names, values,
                                                                         strict=True)))
                       for rel_type, source, target, key, values
                       in rows[start:start + batch_size]]
            after = records[0]["last"]

    def count(self) -> dict[str, int]:
        counts = {r["label"]: r["n"] for r in self._read(
            "MATCH (n:Entity) RETURN n.label AS label, count(*) AS n")}
        counts.update({r["type"]: r["n"] for r in self._read(
            "MATCH ()-[r]->() RETURN type(r) AS type, count(*) AS n")})
        return counts
