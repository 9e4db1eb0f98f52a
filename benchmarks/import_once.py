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
from tests.ownership import ForeignDataError, claim_neo4j

#: The test Neo4j that `tools/services.sh start` runs (never the 7687 one of `make demo`).
BENCHMARK_NEO4J_URI = "bolt://127.0.0.1:7688"
#: Synthetic data only: the key need not be secret, only the same on every run.
BENCHMARK_IDENTIFIER_KEY = b"loanwatch-benchmark-identifier-key"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--backend", choices=["embedded", "neo4j", "naive-neo4j"], required=True)
    parser.add_argument("--source", type=Path, required=True)
    parser.add_argument("--database", type=Path, required=True, help="SQLite file, made anew")
    parser.add_argument("--neo4j-uri", default=BENCHMARK_NEO4J_URI)
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
        driver = GraphDatabase.driver(args.neo4j_uri, auth=None)
        try:
            # Emptied below: refuse a server holding data the tools did not write.
            claim_neo4j(driver, args.neo4j_uri)
        except ForeignDataError as exc:
            driver.close()
            print(f"error: {exc}", file=sys.stderr)
            return 1
        graph = kind(driver, address=args.neo4j_uri)
        graph.ensure_schema()
        graph.delete_all()

    started = time.perf_counter()
    report = import_paths([args.source], graph=graph, engine=engine,
                          identifier_key=BENCHMARK_IDENTIFIER_KEY, batch_rows=args.batch_rows)
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
