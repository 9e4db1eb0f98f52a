"""The test suite wipes only servers it owns: a marker it wrote, or nothing at all.

Before the first destructive fixture (one that calls ``delete_all``, drops or truncates
tables) touches a test server, the suite claims it: a server that carries the suite's
marker, or holds no data whatsoever, is claimed (the marker is written if missing); a
server holding data without the marker belongs to someone else, and the suite refuses to
touch it, naming the server and what it found. So pointing ``LOANWATCH_TEST_NEO4J_URI`` at
the Neo4j of ``make demo`` by mistake fails the tests instead of emptying it.

The markers stay out of everyone's way: the Neo4j marker is a node without the ``Entity``
label, which every read and ``delete_all`` of the store ignore; the PostgreSQL marker is a
table of its own in the ``public`` schema, which no model maps.
"""

from __future__ import annotations

from typing import Final

from neo4j import Driver
from sqlalchemy import Engine, text

__all__ = [
    "NEO4J_MARKER_LABEL",
    "POSTGRES_MARKER_TABLE",
    "ForeignDataError",
    "claim_neo4j",
    "claim_postgres",
]

NEO4J_MARKER_LABEL: Final = "LoanwatchTestMarker"
POSTGRES_MARKER_TABLE: Final = "loanwatch_test_marker"
MARKER_NOTE: Final = "created by the Loanwatch test suite, which may wipe this server"

_HINT: Final = (
    "the tests wipe the servers they use. Point {variable} at a server kept for the tests "
    "(`tools/services.sh start` runs them), or, if everything on this one is disposable, "
    "empty it yourself"
)


class ForeignDataError(Exception):
    """A test server holds data that the test suite did not create."""


def claim_neo4j(driver: Driver, address: str, *, marker: str = NEO4J_MARKER_LABEL) -> None:
    """Claim the Neo4j behind ``driver`` for the tests, or refuse it untouched.

    Raises:
        ForeignDataError: the server holds nodes but no ``marker`` node.
    """
    if not marker.isidentifier():
        raise ValueError(f"the marker label must be a plain identifier, got {marker!r}")
    # Notifications off: on a server without markers yet, Neo4j would log that the label
    # does not exist, which is exactly what this query asks.
    with driver.session(notifications_min_severity="OFF") as session:
        record = session.run(
            f"OPTIONAL MATCH (m:{marker}) WITH count(m) AS markers "
            "OPTIONAL MATCH (n) RETURN markers, count(n) AS nodes"
        ).single(strict=True)
    markers, nodes = record["markers"], record["nodes"]
    if markers:
        return
    if nodes:
        raise ForeignDataError(
            f"refusing to use the Neo4j at {address} for the tests: it holds {nodes} nodes "
            f"and no :{marker} node, so the test suite did not create them; "
            + _HINT.format(variable="LOANWATCH_TEST_NEO4J_URI")
        )
    driver.execute_query(
        f"MERGE (m:{marker}) ON CREATE SET m.note = $note, m.created_at = datetime()",
        note=MARKER_NOTE,
    )


def claim_postgres(engine: Engine, *, marker: str = POSTGRES_MARKER_TABLE) -> None:
    """Claim the PostgreSQL database behind ``engine`` for the tests, or refuse it untouched.

    A database is the suite's when its ``public`` schema has the ``marker`` table, or when
    no schema holds any table yet (the marker is then created).

    Raises:
        ForeignDataError: the database holds tables but no ``marker`` table.
    """
    if not marker.isidentifier():
        raise ValueError(f"the marker table must be a plain identifier, got {marker!r}")
    with engine.begin() as connection:
        # One claim at a time, so that two test sessions cannot both see "empty".
        connection.execute(text("SELECT pg_advisory_xact_lock(hashtext(:name))"),
                           {"name": marker})
        owned = connection.execute(
            text("SELECT to_regclass(:table) IS NOT NULL"), {"table": f"public.{marker}"}
        ).scalar_one()
        if owned:
            return
        # pg_class sees every table, also those this role may not read.
        tables = connection.execute(text(
            "SELECT n.nspname || '.' || c.relname FROM pg_class c "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE c.relkind IN ('r', 'p', 'm', 'f') AND n.nspname <> 'information_schema' "
            "AND n.nspname NOT LIKE 'pg\\_%' ORDER BY 1"
        )).scalars().all()
        if tables:
            shown = ", ".join(tables[:5]) + (" …" if len(tables) > 5 else "")
            address = engine.url.render_as_string(hide_password=True)
            raise ForeignDataError(
                f"refusing to use the PostgreSQL database {address} for the tests:"
                f" it holds {len(tables)} tables ({shown}) and no table "
                f"public.{marker}, so the test suite did not create them; "
                + _HINT.format(variable="LOANWATCH_TEST_POSTGRES_URL")
            )
        connection.execute(text(f"CREATE TABLE public.{marker} (note text NOT NULL)"))
        connection.execute(text(f"INSERT INTO public.{marker} (note) VALUES (:note)"),
                           {"note": MARKER_NOTE})
