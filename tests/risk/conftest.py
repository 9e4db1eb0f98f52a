"""Fixtures of the risk tests: ``store``, each real graph store in turn (embedded SQLite and
PostgreSQL, Neo4j), empty; the same fixture as the graph contract tests."""

from tests.graph.conftest import postgres_graph_store, store

__all__ = ["postgres_graph_store", "store"]
