"""One import in a process of its own that prints a line after every batch, so that a test
can kill it outright (SIGKILL) part way. Run by ``test_import_crash``; not a test module.

    python -m tests.ingest.crash_import DATABASE_URL NEO4J_URI|- BATCH_ROWS PATH...
"""

from __future__ import annotations

import sys

from neo4j import GraphDatabase

from graph.store import GraphStore
from graph.stores.embedded import EmbeddedGraphStore
from graph.stores.neo4j import Neo4jGraphStore
from ingest.importer import import_paths
from ingest.report import ImportProgress
from portfolio.database import create_sql_engine
from tests.ingest.importing import TEST_IDENTIFIER_KEY


def _announce(event: ImportProgress) -> None:
    print(f"{event.entity} {event.rows_imported}", flush=True)


def main(argv: list[str]) -> int:
    database_url, neo4j_uri, batch_rows, *paths = argv
    engine = create_sql_engine(database_url)
    graph: GraphStore = (
        EmbeddedGraphStore(engine) if neo4j_uri == "-"
        else Neo4jGraphStore(GraphDatabase.driver(neo4j_uri, auth=None), address=neo4j_uri))
    report = import_paths(paths, graph=graph, engine=engine, batch_rows=int(batch_rows),
                          identifier_key=TEST_IDENTIFIER_KEY, progress=_announce)
    print(f"done {report.status}", flush=True)
    graph.close()
    engine.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
