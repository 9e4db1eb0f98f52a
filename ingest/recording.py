"""Recording one row that arrives after disbursement, as the API's writes do.

A repayment, a month of transactions, a bureau snapshot or an external event sent through
the API is checked by exactly the rules an imported row of the same type obeys: the same
:class:`~ingest.specs.EntitySpec` parses it (:class:`~ingest.rows.JsonRowParser`), checks
its cross-field rules, resolves its references against the stores
(:class:`~ingest.resolver.ReferenceResolver`), settles its amounts in minor units of their
currency, and builds the same graph elements and SQL rows. So an API write and an imported
row can never disagree on what is valid or on what is stored.

Each write runs once per event id (:func:`portfolio.write_receipts.run_once`):

* embedded graph store in the records' database: the graph part, the SQL rows and the
  receipt are one SQL transaction;
* Neo4j: the SQL rows and the receipt are written in the open SQL transaction, then the
  graph part in one Neo4j transaction, then the SQL transaction commits. A failure of the
  SQL writes leaves the graph untouched; a failure of the graph write rolls the SQL
  transaction back. Should the final commit fail after the graph write (the database
  going away at that instant), the graph holds an upsert without its receipt; the
  client's retry, under the same event id, repeats the same upsert, which changes
  nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from sqlalchemy import Connection, Engine

from graph.model import Label
from graph.store import GraphStore, SqlTransactionGraph
from ingest.catalog import ENTITY_SPECS
from ingest.errors import IngestError, RowRejected
from ingest.resolver import ReferenceResolver
from ingest.rows import JsonRowParser
from ingest.specs import BatchOutput, EntitySpec, Values
from ingest.sql_records import RecordWriter
from portfolio.money import DEFAULT_CURRENCY
from portfolio.write_receipts import run_once

__all__ = ["RECORDABLE", "RecordRejected", "Recorded", "check_row", "record_row"]

#: The entity types the API records one at a time.
RECORDABLE: Final = frozenset({"repayments", "transactions", "bureau", "events"})


class RecordRejected(IngestError):
    """A row sent for recording breaks a rule: ``code`` says which kind of rule
    (``INVALID_VALUE``: a value or a combination of values; ``INVALID_REFERENCE``: an id
    that names nothing, or something of another kind), ``field`` which field (``None``:
    the row as a whole)."""

    def __init__(self, code: str, field: str | None, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.field = field
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Recorded:
    """What was recorded: the row's values as stored (amounts in minor units beside their
    ``currency``), and whether this was a replay of an event already recorded."""

    entity: str
    values: dict[str, Any]
    replayed: bool


def _spec(entity: str) -> EntitySpec:
    if entity not in RECORDABLE:
        raise IngestError(f"{entity!r} cannot be recorded one row at a time; one of "
                          f"{', '.join(sorted(RECORDABLE))}")
    return ENTITY_SPECS[entity]


def check_row(entity: str, payload: Mapping[str, Any]) -> Values:
    """``payload`` (field name -> JSON value, as a JSON Lines row) parsed and checked on its
    own, before any store is asked.

    Raises:
        RecordRejected: ``INVALID_VALUE``, naming the field.
    """
    spec = _spec(entity)
    try:
        values = JsonRowParser(spec).parse(dict(payload))
        if spec.check is not None:
            spec.check(values)
    except RowRejected as exc:
        raise RecordRejected("INVALID_VALUE", exc.field, exc.reason) from None
    return values


def record_row(entity: str, event_id: str, payload: Mapping[str, Any], *, graph: GraphStore,
               engine: Engine, actor: str, default_currency: str = DEFAULT_CURRENCY,
               at: datetime | None = None) -> Recorded:
    """Check and store one row of ``entity`` once per ``event_id``.

    Args:
        payload: the row, as a JSON Lines object of the entity (``docs/import-format.md``).
        actor: who sends it (the OAuth subject), kept on the receipt.
        default_currency: the currency of amounts whose row names none (as the import's).

    Raises:
        RecordRejected: the row breaks a rule; nothing was written.
        IdempotencyConflict: ``event_id`` was recorded with another payload.
        InvalidEventId: ``event_id`` is empty or too long.
        GraphError, SQLAlchemyError: a store failed; nothing was written (see the module
            doc for the one exception on Neo4j).
    """
    spec = _spec(entity)
    values = check_row(entity, payload)
    joint = graph if isinstance(graph, SqlTransactionGraph) and graph.shares_database_with(
        engine) else None
    records = RecordWriter(engine)
    apart = BatchOutput()  # the graph part, written to a separate graph store last

    def write(connection: Connection) -> dict[str, Any]:
        resolver = ReferenceResolver(
            graph, records.find_loans if joint is not None else _loans_in_both(records, graph),
            default_currency=default_currency)
        resolver.prepare(spec, [values])
        problem = resolver.problem(spec, values)
        if problem is not None:
            reference_fields = {ref.field for ref in spec.references}
            code = "INVALID_REFERENCE" if problem.field in reference_fields else "INVALID_VALUE"
            raise RecordRejected(code, problem.field, problem.reason)
        out = BatchOutput()
        spec.build(values, out)
        if joint is not None:
            joint.upsert_batch_in(connection, out.nodes, out.edges)
        else:
            apart.nodes[:], apart.edges[:] = out.nodes, out.edges
        records.write_in(connection, out.records, [], 0)
        return _jsonable(values)

    def finish() -> None:
        if apart.nodes or apart.edges:
            graph.upsert_batch(apart.nodes, apart.edges)

    once = run_once(engine, f"record:{entity}", event_id, payload, actor=actor, write=write,
                    finish=None if joint is not None else finish, at=at)
    return Recorded(entity, once.result, once.replayed)


def _loans_in_both(records: RecordWriter, graph: GraphStore
                   ) -> Callable[[Sequence[str]], dict[str, str]]:
    """Loan records that also have their ``Loan`` node (as the importer asks, with a graph
    apart from the records)."""

    def find(ids: Sequence[str]) -> dict[str, str]:
        found = records.find_loans(ids)
        if not found:
            return found
        labels = graph.labels_of(list(found))
        return {loan_id: code for loan_id, code in found.items()
                if labels.get(loan_id) is Label.LOAN}

    return find


def _jsonable(values: Values) -> dict[str, Any]:
    return {name: list(value) if isinstance(value, tuple) else value
            for name, value in values.items()}
