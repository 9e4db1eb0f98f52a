"""The baseline the Neo4j import is measured against: one MERGE per row.

This is how an import is often first written: every node and every relationship in its
own auto-committed statement. Parsing and validation are the same as the real import; only
the writes differ, so the ratio measures the batching.
"""

from __future__ import annotations

from collections.abc import Sequence

from graph.model import Edge, Node, validate_edge, validate_node
from graph.store import BatchWrite
from graph.stores.neo4j import Neo4jGraphStore

__all__ = ["NaiveNeo4jGraphStore"]


class NaiveNeo4jGraphStore(Neo4jGraphStore):
    """A Neo4j store that writes row by row: one statement and one commit per element."""

    def upsert_batch(self, nodes: Sequence[Node], edges: Sequence[Edge]) -> BatchWrite:
        return BatchWrite(nodes=self.upsert_nodes(nodes), edges=self.upsert_edges(edges))

    def upsert_nodes(self, nodes: Sequence[Node]) -> int:
        for node in nodes:
            validate_node(node)
            self._driver.execute_query(
                f"MERGE (n:Entity {{id: $id}}) SET n:{node.label.value}, "
                f"n.label = $label, n += $props, n.search_text = $search",
                id=node.id,
                label=node.label.value,
                props=node.props,
                search=node.search_text,
                database_=self._database,
            )
        return len(nodes)

    def upsert_edges(self, edges: Sequence[Edge]) -> int:
        for edge in edges:
            validate_edge(edge)
            self._driver.execute_query(
                f"MATCH (a:Entity {{id: $source}}) MATCH (b:Entity {{id: $target}}) "
                f"MERGE (a)-[r:{edge.type.value} {{key: $key}}]->(b) SET r += $props",
                source=edge.source,
                target=edge.target,
                key=edge.key,
                props=edge.props,
                database_=self._database,
            )
        return len(edges)
