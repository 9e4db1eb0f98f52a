"""The embedded graph store: nodes and edges in two SQL tables, walked hop by hop.

This is the default backend, so that Loanwatch runs with no server at all. The tables live
in the same database as the relational records (SQLite by default, PostgreSQL works too)
and are created by the migrations; see :mod:`graph.stores.embedded_schema`. Traversals
fetch one hop per query through the indexes on ``source`` and ``target``, and analytics
load the chosen relationship types into networkx.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, Final

import networkx as nx
import orjson
from sqlalchemy import Connection, Engine, and_, delete, func, insert, or_, select, text
from sqlalchemy.exc import SQLAlchemyError

from graph.batches import (
    check_endpoints,
    check_labels_unchanged,
    check_renames,
    endpoint_ids,
    merge_edges,
    merge_nodes,
)
from graph.model import PARTY_LABELS, Edge, Label, Node, RelType
from graph.resealing import ResealPage
from graph.sealed_properties import SealedProperties
from graph.store import (
    DEFAULT_EDGE_BATCH,
    DEFAULT_SEARCH_LIMIT,
    BatchWrite,
    EdgeRow,
    GraphStore,
)
from graph.stores.driver_reads import driver_reads
from graph.stores.embedded_edges import edge_rows_query, stream_edge_rows
from graph.stores.embedded_errors import translate
from graph.stores.embedded_schema import graph_edge, graph_meta, graph_node
from graph.stores.embedded_sql import dialect_sql
from graph.vault import PERSONAL_LABELS, PersonalDataVault, SealedNode
from loanwatch.errors import BackendUnavailable

__all__ = ["EmbeddedGraphStore"]

#: Ids per ``IN (...)`` list; SQLite allows 32,766 bound parameters per statement.
ID_CHUNK: Final = 5_000
_LABEL_BY_NAME: Final = {label.value: label for label in Label}
#: The ``graph_meta`` row recording that every personal value is sealed.
_SEALED: Final = ("personal_data", "sealed")


def _chunks(ids: Sequence[str], size: int = ID_CHUNK) -> Iterator[Sequence[str]]:
    for start in range(0, len(ids), size):
        yield ids[start:start + size]


def _dumps(props: dict[str, Any]) -> str:
    return orjson.dumps(props).decode()


def _node_row(sealed: SealedNode) -> tuple[str, str, str | None, str, str | None,
                                            str | None, str]:
    return (sealed.id, sealed.label.value, sealed.name, sealed.search_text, sealed.name_tokens,
            sealed.exact_tokens, _dumps(sealed.props))


class EmbeddedGraphStore(GraphStore):
    """A :class:`GraphStore` kept in SQL tables.

    Personal properties are sealed by ``vault`` before they are written and opened after
    they are read (see :mod:`graph.sealed_properties`): the tables hold ciphertext, callers
    see plaintext.

    Args:
        engine: a SQLAlchemy engine on a database migrated to the current schema
            (``loanwatch.migrations.migrate``).
        vault: the keys of personal data; the public development keys when omitted.
    """

    def __init__(self, engine: Engine, *, vault: PersonalDataVault | None = None) -> None:
        self._engine = engine
        self._dialect = engine.dialect.name
        self._sql = dialect_sql(self._dialect)
        self._sealed = SealedProperties(
            vault, where=f"the graph at {engine.url.render_as_string(hide_password=True)}",
            decode=orjson.loads)

    def __repr__(self) -> str:
        return f"EmbeddedGraphStore({self._engine.url.render_as_string(hide_password=True)!r})"

    @property
    def reads_in_process(self) -> bool:
        return self._dialect == "sqlite"

    # -- lifecycle -------------------------------------------------------------------------

    @contextmanager
    def _sql_errors(self) -> Iterator[None]:
        """Turn SQL errors into graph errors: missing tables say how to create them."""
        try:
            yield
        except SQLAlchemyError as exc:
            raise translate(exc, address=self._engine.url.render_as_string(
                hide_password=True)) from exc

    def ensure_schema(self) -> None:
        # The tables come from the migrations; only check that they are there.
        self.ping()
        with self._sql_errors(), self._engine.connect() as conn:
            conn.execute(select(graph_node.c.id).limit(1))
            conn.execute(select(graph_edge.c.type).limit(1))

    @property
    def vault(self) -> PersonalDataVault:
        """The keys this store seals and opens personal data with (the API seals the
        personal text fields of SQL records with the same ones)."""
        return self._sealed.vault

    def ping(self) -> None:
        try:
            with self._engine.connect() as conn:
                conn.execute(text("SELECT 1"))
        except SQLAlchemyError as exc:
            raise BackendUnavailable(
                "the SQL database",
                self._engine.url.render_as_string(hide_password=True),
                str(exc.orig or exc).splitlines()[0],
            ) from exc

    def shares_database_with(self, engine: Engine) -> bool:
        """Whether ``engine`` reaches this store's database (see
        :class:`graph.store.SqlTransactionGraph`)."""
        return engine is self._engine or engine.url == self._engine.url

    def close(self) -> None:
        self._engine.dispose()

    # -- writes ----------------------------------------------------------------------------

    def upsert_batch(self, nodes: Sequence[Node], edges: Sequence[Edge]) -> BatchWrite:
        with self._sql_errors(), self._engine.begin() as conn:
            return self.upsert_batch_in(conn, nodes, edges)

    def upsert_batch_in(self, connection: Connection, nodes: Sequence[Node],
                        edges: Sequence[Edge]) -> BatchWrite:
        """:meth:`upsert_batch` in ``connection``'s transaction (the caller commits it).

        Nodes are written first, then their labels read back: the write holds the rows'
        locks, so a concurrent writer's node of another label is seen here and the check
        raises, and the caller's rollback leaves nothing. Writing before reading also makes
        a SQLite transaction take the write lock first, instead of failing to upgrade a
        read snapshot another writer has moved past.
        """
        latest_nodes = merge_nodes(nodes)
        latest_edges = merge_edges(edges)
        with self._sql_errors():
            if latest_nodes:
                self._sealed.refuse_plaintext(lambda: self._sealed_in(connection))
                seal = self._sealed.seal
                connection.exec_driver_sql(self._sql.upsert_node, [
                    _node_row(seal(node)) for node in latest_nodes.values()])
                check_labels_unchanged(latest_nodes,
                                       self._labels(connection, list(latest_nodes)))
            if latest_edges:
                check_endpoints(latest_edges.values(),
                                self._labels(connection, endpoint_ids(latest_edges.values())))
                connection.exec_driver_sql(self._sql.upsert_edge, [
                    (e.type.value, e.source, e.target, e.key, _dumps(e.props))
                    for e in latest_edges.values()
                ])
        return BatchWrite(nodes=len(nodes), edges=len(edges))

    def rename_nodes(self, renames: Mapping[str, str]) -> int:
        if not renames:
            return 0
        with self._sql_errors(), self._engine.begin() as conn:
            wanted = check_renames(
                renames, self._labels(conn, list(dict.fromkeys([*renames, *renames.values()]))))
            olds = list(wanted)
            if not olds:
                return 0
            nodes: list[tuple[str, str, str | None, str, str | None, str | None, str]] = []
            moved: list[tuple[str, str, str, str, str]] = []
            for chunk in _chunks(olds):
                for row in conn.execute(select(graph_node).where(graph_node.c.id.in_(chunk))):
                    new = wanted[row.id]
                    renamed = self._sealed.moved(new, _LABEL_BY_NAME[row.label], row.props)
                    nodes.append((new, row.label, row.name, renamed.search_text,
                                  row.name_tokens, row.exact_tokens, row.props))
                # One index-backed query per end instead of an OR, which SQLite would scan.
                for end in (graph_edge.c.source, graph_edge.c.target):
                    for row in conn.execute(select(graph_edge).where(end.in_(chunk))):
                        moved.append((row.type, wanted.get(row.source, row.source),
                                      wanted.get(row.target, row.target), row.key, row.props))
                    conn.execute(delete(graph_edge).where(end.in_(chunk)))
            for chunk in _chunks(olds):
                conn.execute(delete(graph_node).where(graph_node.c.id.in_(chunk)))
            conn.exec_driver_sql(self._sql.upsert_node, nodes)
            if moved:
                # An edge whose two ends are both renamed may be read twice: keep it once.
                conn.exec_driver_sql(self._sql.upsert_edge, list(dict.fromkeys(moved)))
        return len(olds)

    # -- personal data at rest (graph.resealing.ResealableGraph) ---------------------------

    def _sealed_in(self, connection: Connection) -> bool:
        personal = connection.execute(select(graph_node.c.id).where(
            graph_node.c.label.in_([label.value for label in PERSONAL_LABELS])).limit(1)).first()
        recorded = connection.execute(select(graph_meta.c.value).where(
            graph_meta.c.name == _SEALED[0])).scalar_one_or_none()
        if recorded == _SEALED[1]:
            return True
        if personal is not None:
            return False
        self._mark_sealed_in(connection)
        return True

    def _mark_sealed_in(self, connection: Connection) -> None:
        connection.execute(delete(graph_meta).where(graph_meta.c.name == _SEALED[0]))
        connection.execute(insert(graph_meta).values(name=_SEALED[0], value=_SEALED[1]))

    def personal_data_sealed(self) -> bool:
        with self._sql_errors(), self._engine.begin() as conn:
            return self._sealed_in(conn)

    def mark_personal_data_sealed(self) -> None:
        with self._sql_errors(), self._engine.begin() as conn:
            self._mark_sealed_in(conn)
        self._sealed.mark_sealed()

    def reseal_page(self, label: Label, after: str, limit: int) -> ResealPage:
        self._check_batch_size(limit)
        columns = (graph_node.c.id, graph_node.c.props, graph_node.c.name_tokens,
                   graph_node.c.exact_tokens)
        query = (select(*columns).where(graph_node.c.label == label.value,
                                        graph_node.c.id > after)
                 .order_by(graph_node.c.id).limit(limit))
        if self._dialect == "postgresql":
            query = query.with_for_update()
        with self._sql_errors(), self._engine.begin() as conn:
            if self._dialect == "sqlite":
                # Take the write lock before reading, so no writer slips in between.
                conn.exec_driver_sql("UPDATE graph_meta SET name = name WHERE 0 = 1")
            rows = conn.execute(query).all()
            resealed = self._sealed.resealed(label, rows)
            for fresh in resealed:
                conn.execute(graph_node.update().where(graph_node.c.id == fresh.id).values(
                    name=fresh.name, search_text=fresh.search_text,
                    name_tokens=fresh.name_tokens, exact_tokens=fresh.exact_tokens,
                    props=_dumps(fresh.props)))
        return ResealPage(examined=len(rows), resealed=len(resealed),
                          last_id=rows[-1].id if rows else None)

    def delete_all(self) -> None:
        with self._sql_errors(), self._engine.begin() as conn:
            conn.execute(delete(graph_edge))
            conn.execute(delete(graph_node))

    # -- reads -----------------------------------------------------------------------------

    def _labels(self, conn: Any, ids: Sequence[str]) -> dict[str, Label]:
        # Plain SQL with one placeholder per id: SQLAlchemy's expanding IN parameters
        # cost more than the query itself at import batch sizes.
        found: dict[str, Label] = {}
        for chunk in _chunks(ids):
            statement = self._sql.labels_in(len(chunk))
            found.update((i, _LABEL_BY_NAME[label])
                         for i, label in conn.exec_driver_sql(statement, tuple(chunk)))
        return found

    def nodes_with_label(self, label: Label) -> list[Node]:
        query = (select(graph_node.c.id, graph_node.c.props)
                 .where(graph_node.c.label == label.value))
        opened = self._sealed.open
        with self._sql_errors(), self._engine.connect() as conn:
            nodes = [opened(row.id, label, row.props) for row in conn.execute(query)]
        return sorted(nodes, key=lambda node: node.id)

    def labels_of(self, ids: Collection[str]) -> dict[str, Label]:
        with self._sql_errors(), self._engine.connect() as conn:
            return self._labels(conn, list(ids))

    def get_nodes(self, ids: Sequence[str]) -> list[Node | None]:
        found: dict[str, Node] = {}
        unique = list(dict.fromkeys(ids))
        # Plain SQL on the driver's cursor (graph.stores.driver_reads): compiling an
        # expression, and SQLAlchemy's result objects, cost more than the read.
        with self._sql_errors(), driver_reads(self._engine) as read:
            for chunk in _chunks(unique):
                for node_id, label, props in read(self._sql.nodes_in(len(chunk)),
                                                  tuple(chunk)):
                    found[node_id] = self._sealed.open(node_id, _LABEL_BY_NAME[label], props)
        return [found.get(node_id) for node_id in ids]

    def _incident_edges(
        self, ids: Sequence[str], types: Collection[RelType] | None
    ) -> list[Edge]:
        seen: dict[tuple[str, str, str, str], Edge] = {}
        unique = list(dict.fromkeys(ids))
        wanted = () if types is None else tuple(t.value for t in types)
        with self._sql_errors(), driver_reads(self._engine) as read:
            for chunk in _chunks(unique):
                # Two index-backed queries instead of one OR, which SQLite would scan; plain
                # SQL on the driver's cursor, as in get_nodes.
                for end in ("source", "target"):
                    statement = self._sql.edges_at(
                        end, len(chunk), None if types is None else len(wanted))
                    for rel_type, source, target, key, props in read(
                            statement, (*chunk, *wanted)):
                        identity = (rel_type, source, target, key)
                        if identity not in seen:
                            seen[identity] = Edge(RelType(rel_type), source, target, key,
                                                  orjson.loads(props))
        return list(seen.values())

    def party_ids_where(self, keys: Sequence[str], value: str) -> list[str]:
        wanted = self._check_property_keys(keys)
        needle = value.strip().lower()
        query = select(graph_node.c.id, graph_node.c.props).where(
            graph_node.c.label.in_([Label.PERSON.value, Label.COMPANY.value]))
        if needle.isascii() and not any(c in needle for c in '"\\'):
            # The properties are one JSON text per node: a LIKE on the value narrows the
            # scan in SQL (SQLite lowers ASCII only, hence the test), and the exact
            # comparison runs on the parsed properties.
            escaped = needle.replace("%", "\\%").replace("_", "\\_")
            query = query.where(func.lower(graph_node.c.props).like(f"%{escaped}%",
                                                                    escape="\\"))
        found: list[str] = []
        with self._sql_errors(), self._engine.connect() as conn:
            for row in conn.execute(query):
                props = orjson.loads(row.props)
                if any(isinstance(props.get(key), str)
                       and props[key].strip().lower() == needle for key in wanted):
                    found.append(row.id)
        return sorted(found)

    def search_parties(self, text: str, limit: int = DEFAULT_SEARCH_LIMIT) -> list[Node]:
        """See :meth:`GraphStore.search_parties`. Person names are sealed, so they are
        found through their blind-index tokens (and national ids through their exact
        token); the candidates' names are opened to check the match and to order them,
        then the first ``limit`` are opened whole. One query, as before."""
        plan = self._sealed.search_plan(text, limit)
        if plan is None:
            return []
        escaped = plan.needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        found = [graph_node.c.search_text.like(f"%{escaped}%", escape="\\")]
        found += [and_(*(graph_node.c.name_tokens.contains(token, autoescape=True)
                         for token in tokens)) for tokens in plan.name_patterns()]
        found += [graph_node.c.exact_tokens.contains(token, autoescape=True)
                  for token in plan.exact_patterns()]
        query = (
            select(graph_node.c.id, graph_node.c.label, graph_node.c.name,
                   graph_node.c.exact_tokens, graph_node.c.props)
            .where(graph_node.c.label.in_([label.value for label in PARTY_LABELS]),
                   or_(*found))
        )
        with self._sql_errors(), self._engine.connect() as conn:
            return self._sealed.search_hits(plan, (
                (row.id, _LABEL_BY_NAME[row.label], row.name, row.exact_tokens, row.props)
                for row in conn.execute(query)), limit)

    def project(
        self,
        types: Collection[RelType],
        labels: Collection[Label] | None = None,
    ) -> nx.MultiDiGraph:
        graph = nx.MultiDiGraph()
        wanted = [t.value for t in types]
        if not wanted:
            return graph
        source_node = graph_node.alias("s")
        target_node = graph_node.alias("t")
        query = (
            select(graph_edge, source_node.c.label.label("source_label"),
                   source_node.c.props.label("source_props"),
                   target_node.c.label.label("target_label"),
                   target_node.c.props.label("target_props"))
            .join(source_node, source_node.c.id == graph_edge.c.source)
            .join(target_node, target_node.c.id == graph_edge.c.target)
            .where(graph_edge.c.type.in_(wanted))
        )
        if labels is not None:
            allowed = [label.value for label in labels]
            query = query.where(and_(source_node.c.label.in_(allowed),
                                     target_node.c.label.in_(allowed)))
        with self._sql_errors(), self._engine.connect() as conn:
            for row in conn.execute(query):
                for node_id, label, props in ((row.source, row.source_label, row.source_props),
                                              (row.target, row.target_label, row.target_props)):
                    if node_id not in graph:
                        graph.add_node(node_id, label=label, **self._sealed.open_props(
                            node_id, _LABEL_BY_NAME[label], props))
                graph.add_edge(row.source, row.target, key=row.key, type=row.type,
                               **orjson.loads(row.props))
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
        query = edge_rows_query(wanted, source_props=bool(source_props),
                                target_props=bool(target_props))
        with self._sql_errors(), self._engine.connect() as conn:
            yield from stream_edge_rows(conn, query, batch_size, props=props,
                                        source_props=source_props, target_props=target_props,
                                        opened=self._sealed.open_loose)

    def count(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        with self._sql_errors(), self._engine.connect() as conn:
            for label, n in conn.execute(
                select(graph_node.c.label, func.count()).group_by(graph_node.c.label)
            ):
                counts[label] = n
            for rel_type, n in conn.execute(
                select(graph_edge.c.type, func.count()).group_by(graph_edge.c.type)
            ):
                counts[rel_type] = n
        return counts

