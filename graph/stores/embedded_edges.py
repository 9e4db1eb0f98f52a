"""The embedded store's whole-graph edge read (:meth:`graph.store.GraphStore.iter_edges`):
every edge of some types with a few of its and its ends' properties, in batches of plain
tuples, streamed so that memory stays one batch whatever the graph's size.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

import orjson
from sqlalchemy import Connection, Select, select
from sqlalchemy.exc import DBAPIError

from graph.store import EdgeRow
from graph.stores.embedded_schema import graph_edge, graph_node

__all__ = ["edge_rows_query", "stream_edge_rows"]

#: Opens a node property's value if it is sealed (``SealedProperties.open_loose``).
Opener = Callable[[str, object], object]


def edge_rows_query(types: Sequence[str], *, source_props: bool,
                    target_props: bool) -> Select[Any]:
    """The edges of ``types``: type, source, target, key and props, then the source's and
    the target's props where asked (a join each, only then)."""
    source_node = graph_node.alias("s")
    target_node = graph_node.alias("t")
    columns = [graph_edge.c.type, graph_edge.c.source, graph_edge.c.target,
               graph_edge.c.key, graph_edge.c.props]
    query = select(*columns, *(
        [source_node.c.props.label("source_props")] if source_props else []), *(
        [target_node.c.props.label("target_props")] if target_props else []))
    if source_props:
        query = query.join(source_node, source_node.c.id == graph_edge.c.source)
    if target_props:
        query = query.join(target_node, target_node.c.id == graph_edge.c.target)
    return query.where(graph_edge.c.type.in_(types))


def stream_edge_rows(conn: Connection, query: Select[Any], batch_size: int, *,
                     props: Sequence[str], source_props: Sequence[str],
                     target_props: Sequence[str], opened: Opener) -> Iterator[list[EdgeRow]]:
    """The rows of :func:`edge_rows_query`'s ``query`` as edge rows, ``batch_size`` at a
    time: a server-side cursor on PostgreSQL, SQLite's own lazy cursor on SQLite."""
    if conn.dialect.name == "sqlite":
        yield from _sqlite_batches(conn, query, batch_size, props, source_props,
                                   target_props, opened)
        return
    result = conn.execution_options(stream_results=True, yield_per=batch_size)
    for partition in result.execute(query).partitions():
        yield _edge_rows(partition, props, source_props, target_props, opened)


def _sqlite_batches(conn: Connection, query: Select[Any], batch_size: int,
                    props: Sequence[str], source_props: Sequence[str],
                    target_props: Sequence[str], opened: Opener) -> Iterator[list[EdgeRow]]:
    """:func:`stream_edge_rows` on SQLite from the driver's own tuples: every column is text
    (the props are JSON text, decoded here), and SQLAlchemy's per-row processing cost
    about a seventh of a million-borrower read. A plain execute (no ``stream_results``,
    which would pre-buffer the first rows in SQLAlchemy) leaves every row in the
    cursor, and sqlite3 fetches lazily, so memory stays one batch."""
    result = conn.execute(query)
    cursor = result.cursor
    driver_error = conn.dialect.loaded_dbapi.Error
    try:
        while True:
            try:
                partition = cursor.fetchmany(batch_size)
            except driver_error as exc:  # wrapped as SQLAlchemy wraps it
                raise DBAPIError.instance(None, None, exc, driver_error) from exc
            if not partition:
                return
            yield _edge_rows(partition, props, source_props, target_props, opened)
    finally:
        result.close()


def _edge_rows(partition: Sequence[Sequence[Any]], props: Sequence[str],
               source_props: Sequence[str], target_props: Sequence[str],
               opened: Opener) -> list[EdgeRow]:
    """Rows of :func:`edge_rows_query` (type, source, target, key, edge props, then source
    and target props as asked) as edge rows, node values opened where they are sealed."""
    loads = orjson.loads
    batch: list[EdgeRow] = []
    for row in partition:
        values: tuple[Any, ...] = ()
        if props:
            edge_props = loads(row[4])
            values += tuple(edge_props.get(name) for name in props)
        if source_props:
            node_props = loads(row[5])
            values += tuple(opened(name, node_props.get(name)) for name in source_props)
        if target_props:
            node_props = loads(row[-1])
            values += tuple(opened(name, node_props.get(name)) for name in target_props)
        batch.append((row[0], row[1], row[2], row[3], values))
    return batch
