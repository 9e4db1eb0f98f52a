"""The suite wipes only what it owns: foreign data on a test server is refused, untouched."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from neo4j import Driver, GraphDatabase
from sqlalchemy import Engine, create_engine, inspect, make_url, text
from sqlalchemy.exc import OperationalError

from graph.model import Label, Node
from graph.stores.neo4j import Neo4jGraphStore
from portfolio.database import create_sql_engine
from tests.ownership import (
    NEO4J_MARKER_LABEL,
    POSTGRES_MARKER_TABLE,
    ForeignDataError,
    claim_neo4j,
    claim_postgres,
)
from tests.services import (
    NEO4J_URI,
    POSTGRES_URL,
    open_neo4j_store,
    postgres_schema,
    unreachable,
)

FOREIGN = Node("someone-elses-party", Label.PERSON, {"name": "Not A Test"})


# -- Neo4j -----------------------------------------------------------------------------------


@pytest.fixture
def driver(neo4j_store: Neo4jGraphStore) -> Iterator[Driver]:
    """A second driver on the test Neo4j; the suite's marker is back in place afterwards."""
    with GraphDatabase.driver(NEO4J_URI, auth=None) as connection:
        try:
            yield connection
        finally:
            neo4j_store.delete_all()
            connection.execute_query("MATCH (m:LoanwatchTestMarkerProbe) DELETE m")
            claim_neo4j(connection, NEO4J_URI)


def markers(driver: Driver, label: str = NEO4J_MARKER_LABEL) -> int:
    records, _, _ = driver.execute_query(f"MATCH (m:{label}) RETURN count(m) AS n")
    return int(records[0]["n"])


@pytest.mark.neo4j
def test_a_neo4j_holding_data_without_the_marker_is_refused_untouched(
    neo4j_store: Neo4jGraphStore, driver: Driver,
) -> None:
    neo4j_store.delete_all()
    driver.execute_query(f"MATCH (m:{NEO4J_MARKER_LABEL}) DELETE m")
    neo4j_store.upsert_nodes([FOREIGN])

    with pytest.raises(pytest.fail.Exception) as refused:
        open_neo4j_store(Neo4jGraphStore)

    message = str(refused.value)
    assert f"refusing to use the Neo4j at {NEO4J_URI} for the tests" in message
    assert f"it holds 1 nodes and no :{NEO4J_MARKER_LABEL} node" in message
    assert "LOANWATCH_TEST_NEO4J_URI" in message
    assert neo4j_store.get_nodes([FOREIGN.id]) == [FOREIGN]
    assert markers(driver) == 0


@pytest.mark.neo4j
def test_another_suites_marker_does_not_count_as_ours(
    neo4j_store: Neo4jGraphStore, driver: Driver,
) -> None:
    neo4j_store.upsert_nodes([FOREIGN])

    with pytest.raises(ForeignDataError, match="no :LoanwatchTestMarkerProbe node"):
        claim_neo4j(driver, NEO4J_URI, marker="LoanwatchTestMarkerProbe")

    assert neo4j_store.get_nodes([FOREIGN.id]) == [FOREIGN]
    assert markers(driver, "LoanwatchTestMarkerProbe") == 0


@pytest.mark.neo4j
def test_an_empty_neo4j_is_claimed_with_a_marker_no_read_returns(
    neo4j_store: Neo4jGraphStore, driver: Driver,
) -> None:
    neo4j_store.delete_all()
    driver.execute_query(f"MATCH (m:{NEO4J_MARKER_LABEL}) DELETE m")

    claim_neo4j(driver, NEO4J_URI)
    claim_neo4j(driver, NEO4J_URI)  # a second session finds it claimed

    assert markers(driver) == 1
    assert neo4j_store.count() == {}
    neo4j_store.delete_all()
    assert markers(driver) == 1


# -- PostgreSQL ------------------------------------------------------------------------------


@pytest.fixture
def scratch_database() -> Iterator[str]:
    """The URL of a new, empty database on the test PostgreSQL, dropped afterwards."""
    server = create_sql_engine(POSTGRES_URL).execution_options(isolation_level="AUTOCOMMIT")
    name = f"loanwatch_probe_{uuid.uuid4().hex[:10]}"
    try:
        with server.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except OperationalError as exc:
        server.dispose()
        unreachable("PostgreSQL", POSTGRES_URL, exc)
    url = make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    try:
        yield url
    finally:
        with server.connect() as connection:
            connection.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        server.dispose()


def tables(engine: Engine) -> dict[str, list[str]]:
    inspector = inspect(engine)
    return {schema: sorted(inspector.get_table_names(schema=schema))
            for schema in inspector.get_schema_names()
            if schema not in ("information_schema", "pg_catalog")}


@pytest.mark.postgres
def test_a_postgres_database_holding_tables_without_the_marker_is_refused_untouched(
    scratch_database: str,
) -> None:
    owner = create_engine(scratch_database)
    with owner.begin() as connection:
        connection.execute(text("CREATE TABLE ledger (amount numeric)"))
        connection.execute(text("INSERT INTO ledger VALUES (12345678901234.56)"))

    with pytest.raises(pytest.fail.Exception) as refused:  # noqa: SIM117
        with postgres_schema("lw_probe", scratch_database):
            pytest.fail("the fixture ran on a database holding someone else's data")

    message = str(refused.value)
    database = make_url(scratch_database).database
    assert "refusing to use the PostgreSQL database postgresql+psycopg://loanwatch:***@" in (
        message)
    assert f"/{database} for the tests: it holds 1 tables (public.ledger)" in message
    assert f"no table public.{POSTGRES_MARKER_TABLE}" in message
    assert tables(owner) == {"public": ["ledger"]}
    with owner.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM ledger")).scalar_one() == 1
    owner.dispose()


@pytest.mark.postgres
def test_an_empty_postgres_database_is_claimed_and_then_used(scratch_database: str) -> None:
    with postgres_schema("lw_probe", scratch_database) as engine:
        with engine.begin() as connection:
            connection.execute(text("CREATE TABLE scratch (n int)"))
        inside = tables(engine)

    owner = create_engine(scratch_database)
    claim_postgres(owner)  # claimed once, it stays claimed, whatever the tests left behind
    after = tables(owner)
    owner.dispose()
    assert [rows for schema, rows in inside.items() if schema.startswith("lw_probe_")] == [
        ["scratch"]]
    assert after == {"public": [POSTGRES_MARKER_TABLE]}
