"""The hot statements of the embedded store, written out per SQL dialect.

Bulk import runs these hundreds of times a second with thousands of rows each, so they are
plain SQL strings given straight to the driver (``executemany`` over tuples) instead of
SQLAlchemy expressions compiled on every call, which cost more than the writes themselves.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from graph.errors import GraphError

__all__ = ["DialectSql", "dialect_sql"]


@dataclass(frozen=True, slots=True)
class DialectSql:
    placeholder: str
    upsert_node: str
    upsert_edge: str

    def labels_in(self, count: int) -> str:
        return _labels_in(self.placeholder, count)


@lru_cache(maxsize=64)
def _labels_in(placeholder: str, count: int) -> str:
    marks = ", ".join([placeholder] * count)
    return f"SELECT id, label FROM graph_node WHERE id IN ({marks})"


def _statements(p: str, merge: str) -> DialectSql:
    values5 = ", ".join([p] * 5)
    values7 = ", ".join([p] * 7)
    return DialectSql(
        placeholder=p,
        upsert_node=(
            "INSERT INTO graph_node (id, label, name, search_text, name_tokens, exact_tokens, "
            f"props) VALUES ({values7}) "
            "ON CONFLICT (id) DO UPDATE SET "
            "name = COALESCE(excluded.name, graph_node.name), "
            "search_text = CASE WHEN excluded.name IS NULL THEN graph_node.search_text "
            "ELSE excluded.search_text END, "
            "name_tokens = COALESCE(excluded.name_tokens, graph_node.name_tokens), "
            "exact_tokens = COALESCE(excluded.exact_tokens, graph_node.exact_tokens), "
            f"props = {merge.format(table='graph_node')} "
            # A node of another label is left alone; the store's check after the write
            # finds it and rolls the transaction back.
            "WHERE graph_node.label = excluded.label"
        ),
        upsert_edge=(
            f'INSERT INTO graph_edge (type, source, target, "key", props) VALUES ({values5}) '
            'ON CONFLICT (type, source, target, "key") DO UPDATE SET '
            f"props = {merge.format(table='graph_edge')}"
        ),
    )


def dialect_sql(dialect: str) -> DialectSql:
    """The statements for ``dialect`` (``sqlite`` or ``postgresql``).

    Raises:
        GraphError: another dialect; the embedded store supports these two.
    """
    if dialect == "sqlite":
        # json_patch merges the stored JSON object with the new one (RFC 7396).
        return _statements("?", "json_patch({table}.props, excluded.props)")
    if dialect == "postgresql":
        return _statements("%s", "({table}.props::jsonb || excluded.props::jsonb)::text")
    raise GraphError(f"the embedded graph store supports sqlite and postgresql, not {dialect!r}")
