"""A real import process killed outright (SIGKILL) part way leaves whole batches only, and
the next import marks its batch interrupted, says so, and completes it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner

from graph.model import Label, RelType
from graph.store import GraphStore
from graph.stores.embedded import EmbeddedGraphStore
from graph.stores.neo4j import Neo4jGraphStore
from loanwatch.cli.main import app
from tests.ingest.importing import import_files, rows_of
from tests.services import NEO4J_URI

ROOT = Path(__file__).resolve().parents[2]
PERSONS = 2_000
LOANS = 20_000
BATCH_ROWS = 500


@pytest.fixture(scope="module")
def portfolio(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Persons and enough loans (40 batches) that the import is still running when killed."""
    folder = tmp_path_factory.mktemp("crash")
    with (folder / "persons.csv").open("w") as out:
        out.write("id,name\n")
        out.writelines(f"P{i:05d},Person {i}\n" for i in range(PERSONS))
    with (folder / "loans.csv").open("w") as out:
        out.write("id,borrower_id,product,principal,currency,annual_rate,term_months,"
                  "disbursed_on,maturity_on,repayment_method\n")
        out.writelines(f"L{i:06d},P{i % PERSONS:05d},consumer,1000.00,CNY,0.05,12,"
                       f"2024-01-01,2025-01-01,annuity\n" for i in range(LOANS))
    return folder


def _kill_after_first_loan_batch(database_url: str, neo4j_uri: str, folder: Path) -> None:
    """Run the import in a child process; SIGKILL it once a batch of loans is written."""
    with subprocess.Popen(
        [sys.executable, "-m", "tests.ingest.crash_import", database_url, neo4j_uri,
         str(BATCH_ROWS), str(folder)],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    ) as child:
        assert child.stdout is not None
        seen = []
        for line in child.stdout:
            seen.append(line.strip())
            if line.startswith("loans "):
                break
        still_running = child.poll() is None
        os.kill(child.pid, signal.SIGKILL)
        _, errors = child.communicate(timeout=60)
    assert still_running and child.returncode == -signal.SIGKILL, (seen, errors)


def _check_whole_batches(graph: GraphStore, engine: Engine, *, records_ahead: int) -> int:
    """Every Loan node has its BORROWS edge, loans come in whole batches, and the loan
    records are those of the graph (plus at most ``records_ahead`` rows); the Loan count."""
    counts = graph.count()
    loans = counts.get(Label.LOAN.value, 0)
    borrowed = graph.project([RelType.BORROWS])
    with_edge = sum(1 for _, label in borrowed.nodes(data="label") if label == "Loan")
    assert with_edge == loans == counts.get(RelType.BORROWS.value, 0)
    assert loans % BATCH_ROWS == 0
    [(records,)] = rows_of(engine, "SELECT count(*) FROM loan")
    assert loans <= records <= loans + records_ahead
    return loans


def _check_completed(graph: GraphStore, engine: Engine, folder: Path, crashed: int) -> None:
    report = import_files([folder], graph=graph, engine=engine, batch_rows=BATCH_ROWS)
    assert [b.batch_id for b in report.interrupted] == [crashed]
    assert rows_of(engine, "SELECT id, status FROM import_batch ORDER BY id") == [
        (crashed, "interrupted"), (report.batch_id, "succeeded")]
    assert _check_whole_batches(graph, engine, records_ahead=0) == LOANS
    [(records,)] = rows_of(engine, "SELECT count(*) FROM loan")
    assert records == LOANS


def test_a_killed_embedded_import_leaves_whole_batches_and_is_completed_next_time(
    tmp_path: Path, sqlite_engine: Engine, portfolio: Path,
) -> None:
    url = sqlite_engine.url.render_as_string(hide_password=False)
    _kill_after_first_loan_batch(url, "-", portfolio)
    graph = EmbeddedGraphStore(sqlite_engine)

    loans = _check_whole_batches(graph, sqlite_engine, records_ahead=0)

    assert 0 < loans < LOANS
    [(crashed, status)] = rows_of(sqlite_engine, "SELECT id, status FROM import_batch")
    assert status == "running"
    _check_completed(graph, sqlite_engine, portfolio, crashed)


def test_the_cli_says_which_batch_was_interrupted(
    tmp_path: Path, sqlite_engine: Engine, portfolio: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    url = sqlite_engine.url.render_as_string(hide_password=False)
    _kill_after_first_loan_batch(url, "-", portfolio)

    result = CliRunner().invoke(app, ["import", str(portfolio)], env={
        "LOANWATCH_DATABASE_URL": url, "LOANWATCH_NEO4J_URI": "", "COLUMNS": "200"})

    assert result.exit_code == 0, result.output
    assert "batch 1 was interrupted (process " in result.output
    assert "import its files again to complete it" in result.output
    assert "Import batch 2: succeeded" in result.output


@pytest.mark.neo4j
def test_a_killed_neo4j_import_leaves_whole_graph_batches_and_is_completed_next_time(
    sqlite_engine: Engine, portfolio: Path, neo4j_store: Neo4jGraphStore,
) -> None:
    neo4j_store.delete_all()
    url = sqlite_engine.url.render_as_string(hide_password=False)
    _kill_after_first_loan_batch(url, NEO4J_URI, portfolio)

    # The SQL records of the one batch being written may be there without its graph part.
    loans = _check_whole_batches(neo4j_store, sqlite_engine, records_ahead=BATCH_ROWS)

    assert 0 < loans < LOANS
    [(crashed, status)] = rows_of(sqlite_engine, "SELECT id, status FROM import_batch")
    assert status == "running"
    _check_completed(neo4j_store, sqlite_engine, portfolio, crashed)
