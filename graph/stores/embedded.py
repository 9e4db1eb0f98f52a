"""The embedded graph store: nodes and edges in two SQL tables, walked hop by hop.

This is the default backend, so that Loanwatch runs with no server at all. The tables live
in the same database as the relational records (SQLite by default, PostgreSQL works too)
and are created by the migrations; see :mod:`graph.stores.embedded_schema`. Traversals
fetch one hop per query through the indexes on ``source`` and ``target``, and analytics
load the chosen relationship types into networkx.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from typing import Any, Final

import networkx as nx
import orjson
from sqlalchemy import Engine, and_, case, collate, delete, func, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import OperationalError, SQLAlchemyError

from graph.errors import InvalidGraphElement, NodeNotFound
from graph.model import Edge, Label, Node, RelType, validate_edge, validate_node
from graph.store import DEFAULT_SEARCH_LIMIT, GraphStore
from graph.stores.embedded_schema import graph_edge, graph_node
from loanwatch.errors import BackendUnavailable

__all__ = ["EmbeddedGraphStore"]

#: Ids per ``IN (...)`` list; SQLite allows 32,766 bound parameters per statement.
ID_CHUNK: Final = 5_000


def _chunks(ids: Sequence[str], size: int = ID_CHUNK) -> Iterator[Sequence[str]]:
    for start in range(0, len(ids), size):
        yield ids[start:start + size]


def _dumps(props: dict[str, Any]) -> str:
    return orjson.dumps(props).decode()


class EmbeddedGraphStore(GraphStore):
    """A :class:`GraphStore` kept in SQL tables.

    Args:
        engine: a SQLAlchemy engine on a database migrated to the current schema
            (``portfolio.database.migrate``).
    """

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        dialect = engine.dialect.name
        if dialect == "sqlite":
            self._insert = sqlite.insert
            self._merge_props = lambda old, new: func.json_patch(old, new)
        elif dialect == "postgresql":
            self._insert = postgresql.insert
            self._merge_props = lambda old, new: func.cast(
                func.cast(old, postgresql.JSONB).op("||")(func.cast(new, postgresql.JSONB)),
                graph_node.c.props.type,
            )
        else:
            raise InvalidGraphElement(f"the embedded graph store does not support {dialect!r}")
        self._dialect = dialect

    def __repr__(self) -> str:
        return f"EmbeddedGraphStore({self._engine.url.render_as_string(hide_password=True)!r})"

    # -- lifecycle -------------------------------------------------------------------------

    def ensure_schema(self) -> None:
        # The tables come from the migrations; only check that they are there.
        self.ping()
        try:
            with self._engine.connect() as conn:
                conn.execute(select(graph_node.c.id).limit(1))
                conn.execute(select(graph_edge.c.type).limit(1))
        except OperationalError as exc:
            raise InvalidGraphElement(
                "the graph tables are missing; run the migrations first",
            ) from exc

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

    def close(self) -> None:
        self._engine.dispose()

    # -- writes ----------------------------------------------------------------------------

    def upsert_nodes(self, nodes: Sequence[Node]) -> int:
        if not nodes:
            return 0
        latest: dict[str, Node] = {}
        for node in nodes:
            validate_node(node)
            earlier = latest.get(node.id)
            if earlier is not None and earlier.label != node.label:
                raise InvalidGraphElement(
                    f"node {node.id!r} given as both {earlier.label.value} and {node.label.value}"
                )
            latest[node.id] = node if earlier is None else Node(
                node.id, node.label, {**earlier.props, **node.props}
            )
        rows = [
            {
                "id": node.id,
                "label": node.label.value,
                "name": node.name,
                "search_text": node.search_text,
                "props": _dumps(node.props),
            }
            for node in latest.values()
        ]
        statement = self._insert(graph_node)
        statement = statement.on_conflict_do_update(
            index_elements=[graph_node.c.id],
            set_={
                "name": func.coalesce(statement.excluded.name, graph_node.c.name),
                "search_text": case(
                    (statement.excluded.name.is_(None), graph_node.c.search_text),
                    else_=statement.excluded.search_text,
                ),
                "props": self._merge_props(graph_node.c.props, statement.excluded.props),
            },
        )
        with self._engine.begin() as conn:
            stored = self._labels(conn, list(latest))
            for node_id, label in stored.items():
                if latest[node_id].label != label:
                    raise InvalidGraphElement(
                        f"node {node_id!r} is a {label.value}; it cannot become a "
                        f"{latest[node_id].label.value}"
                    )
            conn.execute(statement, rows)
        return len(nodes)

    def upsert_edges(self, edges: Sequence[Edge]) -> int:
        if not edges:
            return 0
        latest: dict[tuple[str, str, str, str], Edge] = {}
        for edge in edges:
            validate_edge(edge)
            earlier = latest.get(edge.identity)
            latest[edge.identity] = edge if earlier is None else Edge(
                edge.type, edge.source, edge.target, edge.key, {**earlier.props, **edge.props}
            )
        endpoint_ids = sorted({e.source for e in latest.values()} | {e.target for e in latest.values()})
        rows = [
            {"type": e.type.value, "source": e.source, "target": e.target, "key": e.key,
             "props": _dumps(e.props)}
            for e in latest.values()
        ]
        statement = self._insert(graph_edge)
        statement = statement.on_conflict_do_update(
            index_elements=[graph_edge.c.type, graph_edge.c.source, graph_edge.c.target,
                            graph_edge.c.key],
            set_={"props": self._merge_props(graph_edge.c.props, statement.excluded.props)},
        )
        with self._engine.begin() as conn:
            labels = self._labels(conn, endpoint_ids)
            for edge in latest.values():
                for end in (edge.source, edge.target):
                    if end not in labels:
                        raise NodeNotFound(end)
                validate_edge(edge, labels[edge.source], labels[edge.target])
            conn.execute(statement, rows)
        return len(edges)

    def delete_all(self) -> None:
        with self._engine.begin() as conn:
            conn.execute(delete(graph_edge))
            conn.execute(delete(graph_node))

    # -- reads -----------------------------------------------------------------------------

    @staticmethod
    def _labels(conn: Any, ids: Sequence[str]) -> dict[str, Label]:
        found: dict[str, Label] = {}
        for chunk in _chunks(ids):
            query = select(graph_node.c.id, graph_node.c.label).where(graph_node.c.id.in_(chunk))
            found.update((row.id, Label(row.label)) for row in conn.execute(query))
        return found

    def labels_of(self, ids: Collection[str]) -> dict[str, Label]:
        with self._engine.connect() as conn:
            return self._labels(conn, list(ids))

    def get_nodes(self, ids: Sequence[str]) -> list[Node | None]:
        found: dict[str, Node] = {}
        unique = list(dict.fromkeys(ids))
        with self._engine.connect() as conn:
            for chunk in _chunks(unique):
                query = select(graph_node.c.id, graph_node.c.label, graph_node.c.props).where(
                    graph_node.c.id.in_(chunk)
                )
                for row in conn.execute(query):
                    found[row.id] = Node(row.id, Label(row.label), orjson.loads(row.props))
        return [found.get(node_id) for node_id in ids]

    def _incident_edges(
        self, ids: Sequence[str], types: Collection[RelType] | None
    ) -> list[Edge]:
        seen: dict[tuple[str, str, str, str], Edge] = {}
        columns = (graph_edge.c.type, graph_edge.c.source, graph_edge.c.target,
                   graph_edge.c.key, graph_edge.c.props)
        unique = list(dict.fromkeys(ids))
        with self._engine.connect() as conn:
            for chunk in _chunks(unique):
                # Two index-backed queries instead of one OR, which SQLite would scan.
                for end in (graph_edge.c.source, graph_edge.c.target):
                    query = select(*columns).where(end.in_(chunk))
                    if types is not None:
                        query = query.where(graph_edge.c.type.in_([t.value for t in types]))
                    for row in conn.execute(query):
                        identity = (row.type, row.source, row.target, row.key)
                        if identity not in seen:
                            seen[identity] = Edge(RelType(row.type), row.source, row.target,
                                                  row.key, orjson.loads(row.props))
        return list(seen.values())

    def search_parties(self, text: str, limit: int = DEFAULT_SEARCH_LIMIT) -> list[Node]:
        needle = text.strip().lower()
        if not needle or limit < 1:
            return []
        escaped = needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        name = graph_node.c.name
        if self._dialect == "postgresql":
            # Byte order, as Neo4j and SQLite sort, instead of the locale's collation.
            name = collate(name, "C")
        query = (
            select(graph_node.c.id, graph_node.c.label, graph_node.c.props)
            .where(
                graph_node.c.label.in_([Label.PERSON.value, Label.COMPANY.value]),
                graph_node.c.search_text.like(f"%{escaped}%", escape="\\"),
            )
            .order_by(
                case((func.lower(graph_node.c.id) == needle, 0), else_=1),
                name.is_(None),
                name,
                collate(graph_node.c.id, "C") if self._dialect == "postgresql" else graph_node.c.id,
            )
            .limit(limit)
        )
        with self._engine.connect() as conn:
            return [Node(r.id, Label(r.label), orjson.loads(r.props)) for r in conn.execute(query)]

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
        with self._engine.connect() as conn:
            for row in conn.execute(query):
                for node_id, label, props in ((row.source, row.source_label, row.source_props),
                                              (row.target, row.target_label, row.target_props)):
                    if node_id not in graph:
                        graph.add_node(node_id, label=label, **orjson.loads(props))
                graph.add_edge(row.source, row.target, key=row.key, type=row.type,
                               **orjson.loads(row.props))
        return graph

    def count(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        with self._engine.connect() as conn:
            for label, n in conn.execute(
                select(graph_node.c.label, func.count()).group_by(graph_node.c.label)
            ):
                counts[label] = n
            for rel_type, n in conn.execute(
                select(graph_edge.c.type, func.count()).group_by(graph_edge.c.type)
            ):
                counts[rel_type] = n
        return counts


