"""Graph transactions the driver ran again after a transient failure are counted in the
import report, stored on the batch, and printed."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from neo4j import ManagedTransaction
from neo4j.exceptions import Neo4jError
from rich.console import Console
from sqlalchemy import Engine

from graph.stores.neo4j import Neo4jGraphStore
from ingest.report import FileReport, ImportReport
from loanwatch.cli.imports import print_report
from tests.ingest.importing import import_files, rows_of, write


class _DeadlockOnceStore(Neo4jGraphStore):
    """The real Neo4j store, whose every write transaction loses one deadlock first: the
    driver's own retry runs it again."""

    def _write(self, work: Callable[[ManagedTransaction], Any]) -> tuple[Any, int]:
        failed = False

        def victim_once(tx: ManagedTransaction) -> Any:
            nonlocal failed
            if not failed:
                failed = True
                raise Neo4jError._hydrate_neo4j(
                    code="Neo.TransientError.Transaction.DeadlockDetected", message="victim")
            return work(tx)

        return super()._write(victim_once)


@pytest.mark.neo4j
def test_retried_transactions_are_counted_and_stored(
    tmp_path: Path, sqlite_engine: Engine, neo4j_store: Neo4jGraphStore,
) -> None:
    neo4j_store.delete_all()
    flaky = _DeadlockOnceStore(neo4j_store._driver, address="test")
    path = write(tmp_path, "persons.csv", "id,name\nP1,Zhang Wei\nP2,Li Na\nP3,Wang Fang\n")

    report = import_files([path], graph=flaky, engine=sqlite_engine, batch_rows=2)

    assert report.retries == 2  # two batches, each retried once
    assert neo4j_store.count() == {"Person": 3}
    assert rows_of(sqlite_engine, "SELECT status, retries FROM import_batch") == [
        ("succeeded", 2)]


def test_the_report_prints_the_retries() -> None:
    report = ImportReport(batch_id=4, status="succeeded", retries=7,
                          files=[FileReport("/in/loans.csv", "loans", "csv", 10, 10)])
    console = Console(record=True, width=200)

    print_report(report, console, 20)

    assert ("7 graph transactions were retried after transient errors (deadlocks with "
            "another writer); all succeeded") in console.export_text()
