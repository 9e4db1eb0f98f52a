"""What only the Neo4j store does: the label check inside the writing transaction, driver
errors mapped to Loanwatch's, transient retries counted, and reads run again only after a
transient failure."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Iterator

import pytest
from neo4j import AsyncGraphDatabase, Driver, GraphDatabase, ManagedTransaction
from neo4j.exceptions import (
    ConnectionAcquisitionTimeoutError,
    IncompleteCommit,
    Neo4jError,
    SessionExpired,
    TransientError,
)

from graph.errors import GraphBackendError, InvalidGraphElement, TransientGraphError
from graph.model import Label, Node, RelType
from graph.stores.neo4j import Neo4jGraphStore
from graph.stores.neo4j_errors import READ_ATTEMPTS, read_retry_pause, translate
from graph.walks import Hop
from loanwatch.errors import BackendUnavailable, LoanwatchError
from tests.services import NEO4J_URI

pytestmark = pytest.mark.neo4j


@pytest.fixture
def neo4j(neo4j_store: Neo4jGraphStore) -> Neo4jGraphStore:
    neo4j_store.delete_all()
    return neo4j_store


@pytest.fixture
def driver() -> Iterator[Driver]:
    with GraphDatabase.driver(NEO4J_URI, auth=None) as raw:
        yield raw


def _wait_until_blocked(driver: Driver) -> None:
    """Return once a transaction on the server waits for another's lock."""
    for _ in range(600):
        records, _, _ = driver.execute_query(
            "SHOW TRANSACTIONS YIELD status WHERE status STARTS WITH 'Blocked' "
            "RETURN count(*) AS n")
        if records[0]["n"]:
            return
        time.sleep(0.05)
    raise AssertionError("no transaction ever waited for a lock")


def test_a_node_created_meanwhile_under_another_label_refuses_the_batch(
    neo4j: Neo4jGraphStore, driver: Driver,
) -> None:
    """Another writer creates X as a Company, uncommitted: the store's check before its
    transaction cannot see it, its MERGE waits for the other's commit, then finds the
    Company and refuses the whole batch instead of adding a second label."""
    with driver.session() as session, session.begin_transaction() as other:
        other.run("CREATE (:Entity:Company {id: 'X', label: 'Company', name: 'Other'})")
        outcome: list[BaseException | None] = []

        def write() -> None:
            try:
                neo4j.upsert_batch([Node("P1", Label.PERSON, {"name": "Mine"}),
                                    Node("X", Label.PERSON, {"name": "Mine"})], [])
                outcome.append(None)
            except BaseException as exc:  # handed to the test thread below
                outcome.append(exc)

        writer = threading.Thread(target=write)
        writer.start()
        _wait_until_blocked(driver)
        other.commit()
        writer.join(timeout=60)

    [error] = outcome
    assert isinstance(error, InvalidGraphElement)
    assert str(error) == "node 'X' is a Company; it cannot become a Person"
    records, _, _ = driver.execute_query(
        "MATCH (n:Entity) RETURN n.id AS id, labels(n) AS labels, n.name AS name")
    assert [(r["id"], sorted(r["labels"]), r["name"]) for r in records] == [
        ("X", ["Company", "Entity"], "Other")]


def test_a_database_that_does_not_exist_is_a_graph_error(driver: Driver) -> None:
    store = Neo4jGraphStore(GraphDatabase.driver(NEO4J_URI, auth=None), database="nosuchdb",
                            address=NEO4J_URI)
    with store, pytest.raises(GraphBackendError) as caught:
        store.count()
    assert caught.value.message == f"Neo4j at {NEO4J_URI} has no database 'nosuchdb'"
    assert caught.value.code == "Neo.ClientError.Database.DatabaseNotFound"
    assert "LOANWATCH_NEO4J_DATABASE" in (caught.value.suggestion or "")


def test_a_terminated_write_is_a_graph_error(neo4j: Neo4jGraphStore, driver: Driver) -> None:
    """An operator terminates the store's transaction while it waits for a lock."""
    neo4j.upsert_nodes([Node("P1", Label.PERSON, {"name": "Zhang Wei"})])
    with driver.session() as session, session.begin_transaction() as other:
        other.run("MATCH (n:Entity {id: 'P1'}) SET n.name = 'held'")
        outcome: list[BaseException | None] = []

        def write() -> None:
            try:
                neo4j.upsert_nodes([Node("P1", Label.PERSON, {"name": "Li Na"})])
                outcome.append(None)
            except BaseException as exc:  # handed to the test thread below
                outcome.append(exc)

        writer = threading.Thread(target=write)
        writer.start()
        _wait_until_blocked(driver)
        blocked, _, _ = driver.execute_query(
            "SHOW TRANSACTIONS YIELD transactionId, status WHERE status STARTS WITH 'Blocked' "
            "RETURN transactionId")
        driver.execute_query("TERMINATE TRANSACTIONS $ids",
                             ids=[r["transactionId"] for r in blocked])
        writer.join(timeout=60)
        other.rollback()

    [error] = outcome
    assert isinstance(error, GraphBackendError) and not isinstance(error, TransientGraphError)
    assert error.code is not None and error.code.startswith("Neo.ClientError.Transaction.")
    assert str(error).startswith(f"Neo4j at {NEO4J_URI} refused the request (")


def test_an_unreachable_server_is_backend_unavailable() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    uri = f"bolt://127.0.0.1:{port}"
    # The driver retries an unreachable server for max_transaction_retry_time: keep it short.
    store = Neo4jGraphStore(GraphDatabase.driver(uri, auth=None, connection_timeout=1,
                                                 max_transaction_retry_time=1), address=uri)
    with store, pytest.raises(BackendUnavailable, match=f"cannot reach Neo4j at {uri}"):
        store.upsert_nodes([Node("P1", Label.PERSON, {})])


def _server_error(code: str, message: str) -> Neo4jError:
    # The driver's own factory for a server's failure message (what it raises on FAILURE).
    return Neo4jError._hydrate_neo4j(code=code, message=message)


@pytest.mark.parametrize(("error", "kind", "text"), [
    (_server_error("Neo.TransientError.Transaction.DeadlockDetected", "deadlock"),
     TransientGraphError, "kept failing transiently after retries"),
    (_server_error("Neo.TransientError.General.DatabaseUnavailable", "starting"),
     TransientGraphError, "kept failing transiently after retries"),
    (_server_error("Neo.DatabaseError.General.UnknownError", "disk full"),
     GraphBackendError, "failed (Neo.DatabaseError.General.UnknownError): disk full"),
    (_server_error("Neo.ClientError.Schema.ConstraintValidationFailed", "already exists"),
     GraphBackendError, "refused a write that breaks a constraint"),
    (_server_error("Neo.ClientError.Statement.SyntaxError", "bad"),
     GraphBackendError, "refused the request (Neo.ClientError.Statement.SyntaxError): bad"),
    (_server_error("Neo.ClientError.Security.Unauthorized", "wrong password"),
     BackendUnavailable, "authentication failed: wrong password"),
    (SessionExpired("the session expired"), BackendUnavailable, "the session expired"),
    (ConnectionAcquisitionTimeoutError("pool exhausted"), BackendUnavailable, "pool exhausted"),
    (IncompleteCommit("connection lost"), GraphBackendError, "may or may not have been written"),
    (OSError("connection reset"), BackendUnavailable, "connection reset"),
])
def test_every_driver_error_becomes_a_loanwatch_error(
    error: BaseException, kind: type[LoanwatchError], text: str,
) -> None:
    mapped = translate(error, address="bolt://db:7687", database="neo4j")
    assert type(mapped) is kind
    assert text in str(mapped)


def test_transient_retries_are_counted(neo4j: Neo4jGraphStore) -> None:
    """The driver runs a transaction function again after a TransientError; the store
    counts the runs. The first run here fails as a deadlock victim would."""
    runs = 0

    def work(tx: ManagedTransaction) -> int:
        nonlocal runs
        runs += 1
        if runs == 1:
            raise _server_error("Neo.TransientError.Transaction.DeadlockDetected", "victim")
        return tx.run("RETURN 1 AS one").single(strict=True)["one"]

    assert neo4j._write(work) == (1, 1)
    assert isinstance(_server_error("Neo.TransientError.Transaction.DeadlockDetected", ""),
                      TransientError)


@pytest.mark.parametrize(("error", "pauses"), [
    (_server_error("Neo.TransientError.General.DatabaseUnavailable", "starting"), [0.2, 0.4]),
    (SessionExpired("the session expired"), [0.2, 0.4]),
    (_server_error("Neo.ClientError.Statement.SyntaxError", "bad"), []),
    (OSError("connection reset"), []),  # the driver's own errors wrap what is transient
])
def test_a_read_runs_again_only_after_a_transient_failure(error: BaseException,
                                                          pauses: list[float]) -> None:
    assert [read_retry_pause(error, attempt) for attempt in range(1, len(pauses) + 1)] == pauses
    assert read_retry_pause(error, len(pauses) + 1) is None  # then it is raised
    assert len(pauses) in (0, READ_ATTEMPTS - 1)


def test_an_unreachable_server_fails_reads_and_loop_walks_alike() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    uri = f"bolt://127.0.0.1:{port}"
    store = Neo4jGraphStore(
        GraphDatabase.driver(uri, auth=None, connection_timeout=1), address=uri,
        async_driver=lambda: AsyncGraphDatabase.driver(uri, auth=None, connection_timeout=1))

    async def loop_walk() -> None:
        walker = store.open_loop_walker()
        assert walker is not None
        try:
            await walker.walk(["C1"], (Hop(RelType.BORROWS, "out"),))
        finally:
            await walker.aclose()

    with store:
        with pytest.raises(BackendUnavailable, match=f"cannot reach Neo4j at {uri}"):
            store.get_node("C1")
        with pytest.raises(BackendUnavailable, match=f"cannot reach Neo4j at {uri}"):
            asyncio.run(loop_walk())
