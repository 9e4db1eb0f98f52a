"""One measured import in a process of its own, so that its peak memory is its own.

Prints one JSON object: rows read, imported, rejected, seconds and peak RSS in MiB.
Run by :mod:`benchmarks.import_throughput`; not meant to be called by hand.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from pathlib import Path

from neo4j import GraphDatabase

from graph.store import GraphStore
from graph.stores.embedded import EmbeddedGraphStore
from graph.stores.neo4j import Neo4jGraphStore
from ingest.importer import import_paths
from loanwatch.migrations import migrate
from portfolio.database import create_sql_engine


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--backend", choices=["embedded", "neo4j", "naive-neo4j"], required=True)
    parser.add_argument("--source", type=Path, required=True)
    parser.add_argument("--database", type=Path, required=True, help="SQLite file, made anew")
    parser.add_argument("--neo4j-uri", default="bolt://127.0.0.1:7687")
    parser.add_argument("--batch-rows", type=int, default=5_000)
    args = parser.parse_args(argv)

    args.database.unlink(missing_ok=True)
    engine = create_sql_engine(f"sqlite:///{args.database}")
    migrate(engine)
    graph: GraphStore
    if args.backend == "embedded":
        graph = EmbeddedGraphStore(engine)
    else:
        from benchmarks.naive_neo4j import NaiveNeo4jGraphStore

        kind = NaiveNeo4jGraphStore if args.backend == "naive-neo4j" else Neo4jGraphStore
        graph = kind(GraphDatabase.driver(args.neo4j_uri, auth=None), address=args.neo4j_uri)
        graph.ensure_schema()
        graph.delete_all()

    started = time.perf_counter()
    report = import_paths([args.source], graph=graph, engine=engine, batch_rows=args.batch_rows)
    seconds = time.perf_counter() - started
    graph.close()
    engine.dispose()
    json.dump(
        {
            "rows": report.rows_read,
            "imported": report.rows_imported,
            "rejected": report.rows_rejected,
            "seconds": seconds,
            "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        },
        sys.stdout,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
