"""The SQL side of an import: upserts of relational records, loan lookups, and the
``ImportBatch`` and ``RejectedRow`` records of the run.

Upserts are ``INSERT ... ON CONFLICT (primary key) DO UPDATE`` statements built with
SQLAlchemy Core in the SQLite or PostgreSQL dialect and executed for a whole batch at once.
On SQLite they run through ``exec_driver_sql`` with plain tuples, skipping SQLAlchemy's
per-row parameter processing (several microseconds a row, a fifth of the import time); on
PostgreSQL through Core, whose "insertmanyvalues" batching saves a round trip per row. The
values are already in the form both drivers take (text ids and dates, amounts as integer
minor units, rates as decimal text, integers).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from operator import itemgetter
from typing import Any, Final

from sqlalchemy import Connection, Engine, Insert, Table, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite

from graph.vault import PersonalDataVault
from ingest.errors import IngestError
from ingest.report import Reject
from portfolio.bureau import BureauSnapshot
from portfolio.imports import MAX_RAW_TEXT, ImportBatch, ImportStatus, RejectedRow
from portfolio.loans import Loan
from portfolio.modifications import Modification
from portfolio.repayments import Repayment
from portfolio.schedule import Installment

__all__ = ["RECORD_TABLES", "BatchProgress", "RecordWriter", "RunningBatch"]

#: Tables an import writes, in the order that keeps foreign keys satisfied.
RECORD_TABLES: Final[dict[str, Table]] = {
    table.name: table
    for table in (Loan.__table__, Installment.__table__, Repayment.__table__,  # type: ignore[attr-defined]
                  BureauSnapshot.__table__, Modification.__table__)  # type: ignore[attr-defined]
}
#: Optional columns that a re-import leaving them empty does not clear (as a graph property
#: left out of a row is kept): table -> columns.
_KEPT_WHEN_EMPTY: Final[dict[str, frozenset[str]]] = {"loan": frozenset({"origination_pd"})}
_IDS_PER_QUERY: Final = 1_000
_FIELD_LENGTH: Final = 128
#: The sealed field's name (the associated data of its ciphertext).
RAW_FIELD: Final = "rejected_row.raw"

_batch: Final[Table] = ImportBatch.__table__  # type: ignore[attr-defined]
_rejected: Final[Table] = RejectedRow.__table__  # type: ignore[attr-defined]
_loan: Final[Table] = Loan.__table__  # type: ignore[attr-defined]


def _dialect_insert(engine: Engine) -> Callable[[Table], Any]:
    name = engine.dialect.name
    if name == "sqlite":
        return sqlite.insert
    if name == "postgresql":
        return postgresql.insert
    raise IngestError(f"importing into {name!r} is not supported; use SQLite or PostgreSQL")


def _upsert(dialect_insert: Callable[[Table], Any], table: Table) -> Insert:
    statement = dialect_insert(table)
    keys = [column.name for column in table.primary_key.columns]
    kept = _KEPT_WHEN_EMPTY.get(table.name, frozenset())
    return statement.on_conflict_do_update(  # type: ignore[no-any-return]
        index_elements=keys,
        set_={c.name: func.coalesce(statement.excluded[c.name], c) if c.name in kept
              else statement.excluded[c.name] for c in table.columns if not c.primary_key},
    )


class _Upsert:
    """The upsert of one table, executed the fastest way for the dialect.

    SQLite: compiled once to SQL text with positional parameters and run through
    ``exec_driver_sql`` with tuples, so that the driver's C loop runs every row.
    PostgreSQL: run as a Core statement, so that SQLAlchemy's "insertmanyvalues" sends a
    thousand rows per statement instead of one round trip per row.
    """

    def __init__(self, engine: Engine, dialect_insert: Callable[[Table], Any], table: Table):
        self.statement = _upsert(dialect_insert, table)
        compiled = self.statement.compile(dialect=engine.dialect)
        self.positional = engine.dialect.name == "sqlite" and bool(compiled.positiontup)
        self.sql = str(compiled)
        self.parameters = itemgetter(*compiled.positiontup) if self.positional else None

    def execute(self, connection: Connection, rows: list[dict[str, Any]]) -> None:
        getter = self.parameters
        if getter is not None:
            connection.exec_driver_sql(self.sql, [getter(row) for row in rows])
        else:
            connection.execute(self.statement, rows)


class RecordWriter:
    """Writes the relational records and the import's own bookkeeping through ``engine``.

    A rejected row's source text is personal data (a person's name, id, income): it is
    stored sealed by ``vault`` (the public development keys when omitted).
    """

    def __init__(self, engine: Engine, *, vault: PersonalDataVault | None = None) -> None:
        self._engine = engine
        self._vault = vault or PersonalDataVault.development()
        dialect_insert = _dialect_insert(engine)
        self._upserts = {name: _Upsert(engine, dialect_insert, table)
                         for name, table in RECORD_TABLES.items()}

    @property
    def engine(self) -> Engine:
        """The database the records (and the batch's bookkeeping) are written to."""
        return self._engine

    def find_loans(self, ids: Collection[str]) -> dict[str, str]:
        """Which of ``ids`` are stored loan records: id -> the loan's currency."""
        found: dict[str, str] = {}
        wanted = list(ids)
        with self._engine.connect() as connection:
            for start in range(0, len(wanted), _IDS_PER_QUERY):
                chunk = wanted[start:start + _IDS_PER_QUERY]
                rows = connection.execute(
                    select(_loan.c.id, _loan.c.currency).where(_loan.c.id.in_(chunk)))
                found.update((loan_id, code) for loan_id, code in rows)
        return found

    def write(self, records: Mapping[str, list[dict[str, Any]]], rejects: Sequence[Reject],
              batch_id: int) -> None:
        """Upsert ``records`` (table name to rows) and store ``rejects``, in one transaction."""
        with self._engine.begin() as connection:
            self.write_in(connection, records, rejects, batch_id)

    def write_in(self, connection: Connection, records: Mapping[str, list[dict[str, Any]]],
                 rejects: Sequence[Reject], batch_id: int) -> None:
        """:meth:`write` within ``connection``'s transaction (the caller commits it)."""
        for name, upsert in self._upserts.items():
            rows = records.get(name)
            if rows:
                upsert.execute(connection, rows)
        if rejects:
            connection.execute(insert(_rejected), [
                {"batch_id": batch_id, "file": r.file, "line": r.line,
                 "field": None if r.field is None else r.field[:_FIELD_LENGTH],
                 "reason": r.reason,
                 "raw": self._vault.seal_text(RAW_FIELD, r.text[:MAX_RAW_TEXT])}
                for r in rejects
            ])

    def start_batch(self, files: list[str], started_at: datetime, *, pid: int | None = None,
                    hostname: str | None = None) -> int:
        """Record a running import of ``files`` by process ``pid`` on ``hostname``; return
        its batch id."""
        with self._engine.begin() as connection:
            result = connection.execute(insert(_batch).values(
                started_at=started_at, status=ImportStatus.RUNNING.value, files=files,
                counts={}, rows_read=0, rows_imported=0, rows_rejected=0,
                pid=pid, hostname=hostname, heartbeat_at=started_at,
            ))
            return int(result.inserted_primary_key[0])

    def beat_in(self, connection: Connection, batch_id: int, *, at: datetime,
                progress: BatchProgress) -> None:
        """Record, within ``connection``'s transaction, that the import is alive at ``at``
        and how far it got (a batch found interrupted later shows it)."""
        connection.execute(update(_batch).where(_batch.c.id == batch_id).values(
            heartbeat_at=at, **progress.columns()))

    def beat(self, batch_id: int, *, at: datetime, progress: BatchProgress) -> None:
        """:meth:`beat_in` in a transaction of its own."""
        with self._engine.begin() as connection:
            self.beat_in(connection, batch_id, at=at, progress=progress)

    def finish_batch(self, batch_id: int, *, status: ImportStatus, finished_at: datetime,
                     progress: BatchProgress, rejects_not_stored: int = 0,
                     warnings: list[str] | None = None, error: str | None = None) -> None:
        """Record how the import ended."""
        with self._engine.begin() as connection:
            connection.execute(update(_batch).where(_batch.c.id == batch_id).values(
                status=status.value, finished_at=finished_at, error=error,
                rejects_not_stored=rejects_not_stored, warnings=warnings or None,
                **progress.columns(),
            ))

    def running_batches(self) -> list[RunningBatch]:
        """Every batch recorded as running, oldest first."""
        columns = (_batch.c.id, _batch.c.files, _batch.c.pid, _batch.c.hostname,
                   _batch.c.started_at, _batch.c.heartbeat_at, _batch.c.rows_imported)
        with self._engine.connect() as connection:
            rows = connection.execute(select(*columns).where(
                _batch.c.status == ImportStatus.RUNNING.value).order_by(_batch.c.id))
            return [RunningBatch(*row) for row in rows]

    def mark_interrupted(self, batch_id: int, reason: str) -> bool:
        """Record that batch ``batch_id`` was interrupted, if it is still recorded as running;
        return whether it was."""
        with self._engine.begin() as connection:
            result = connection.execute(update(_batch).where(
                _batch.c.id == batch_id, _batch.c.status == ImportStatus.RUNNING.value,
            ).values(status=ImportStatus.INTERRUPTED.value, error=reason))
            return bool(result.rowcount)


@dataclass(frozen=True, slots=True)
class BatchProgress:
    """The counts an import batch records as it goes and when it ends."""

    counts: dict[str, int]
    rows_read: int
    rows_imported: int
    rows_rejected: int
    retries: int

    def columns(self) -> dict[str, Any]:
        return {"counts": self.counts, "rows_read": self.rows_read,
                "rows_imported": self.rows_imported, "rows_rejected": self.rows_rejected,
                "retries": self.retries}


@dataclass(frozen=True, slots=True)
class RunningBatch:
    """A batch recorded as running: whose process it is, and when it last showed life."""

    id: int
    files: list[str]
    pid: int | None
    hostname: str | None
    started_at: datetime
    heartbeat_at: datetime | None
    rows_imported: int
