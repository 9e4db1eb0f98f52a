"""SQL tables that hold the embedded graph store.

Kept in the same database as the relational records (SQLite by default, PostgreSQL in
production) and created by the Alembic migrations in ``loanwatch/migrations``; the embedded
store only reads and writes them.
"""

from __future__ import annotations

from sqlalchemy import Column, Index, MetaData, String, Table, Text

__all__ = ["graph_edge", "graph_meta", "graph_node", "metadata"]

metadata = MetaData()

graph_node = Table(
    "graph_node",
    metadata,
    Column("id", String(128), primary_key=True),
    Column("label", String(32), nullable=False),
    Column("name", Text, nullable=True),
    # Lower-cased "name id" for case-insensitive search by name or id fragment.
    Column("search_text", Text, nullable=False, server_default=""),
    # Properties as a JSON object (flat: str, int, float, bool values); personal ones sealed.
    Column("props", Text, nullable=False, server_default="{}"),
    # Blind-index tokens of a person's name and exact-match tokens (national id), each
    # " v.hex v.hex " (see graph.blind_index); NULL where the node has none.
    Column("name_tokens", Text, nullable=True),
    Column("exact_tokens", Text, nullable=True),
    Index("ix_graph_node_label", "label"),
)

#: Facts about the stored graph itself: ``personal_data`` = ``sealed`` once every personal
#: value is encrypted (written on a fresh store, or by the upgrade of an older one).
graph_meta = Table(
    "graph_meta",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)

graph_edge = Table(
    "graph_edge",
    metadata,
    Column("type", String(32), primary_key=True),
    Column("source", String(128), primary_key=True),
    Column("target", String(128), primary_key=True),
    Column("key", String(64), primary_key=True, server_default=""),
    Column("props", Text, nullable=False, server_default="{}"),
    Index("ix_graph_edge_source", "source", "type"),
    Index("ix_graph_edge_target", "target", "type"),
)
