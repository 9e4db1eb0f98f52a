"""Bulk import of CSV and JSON Lines files into the graph and the relational records.

:func:`import_paths` is the one entry point. For each file, in import order, rows are read
one at a time and checked (columns, types, ranges, duplicates); every ``batch_rows`` rows,
the ids the batch creates or names are looked up once, rows whose references do not
resolve are rejected, and the good rows are written. Each row is checked completely before
any of it is written, so a rejected row leaves nothing behind, and a good row is written
whole.

What a crash (``kill -9``, a power cut) can leave, batch by batch:

* Embedded graph store (graph in the same SQL database as the records): a batch's nodes,
  edges, relational records, rejected rows and heartbeat are one SQL transaction. A crash
  leaves whole batches only.
* Neo4j: a batch's relational records and rejected rows are committed first, then its
  nodes and edges in one Neo4j transaction. A crash leaves whole graph batches only; the
  one batch being written may have its SQL records without its graph part. Readers (the
  API, scans) reach records only through graph nodes, and the importer's own check of
  loan references asks the graph too, so such records are invisible until the same files
  are imported again, which completes the batch.

Either way the import batch stays ``running``; the next import finds its process gone
(see :mod:`ingest.liveness`), marks it ``interrupted`` and says so in its report.

Memory stays flat in the file size: one batch of rows is held, plus a bounded cache of known
ids and the keys of the current file (to find duplicates), which move to a temporary file
on disk past ``memory_keys``.
"""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import closing
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Final

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from graph.errors import GraphError
from graph.model import Label
from graph.store import GraphStore, SqlTransactionGraph
from graph.vault import PersonalDataVault
from ingest.entities.links import with_identifier_key
from ingest.errors import ImportFailed, IngestError, RowRejected
from ingest.files import FileFormat, ImportFile, plan_files
from ingest.liveness import DEFAULT_STALE_AFTER, find_interrupted
from ingest.readers import CsvHeader, LineFile, RawRow, read_csv, read_jsonl, source_text
from ingest.report import FileReport, ImportProgress, ImportReport, ProgressCallback, Reject
from ingest.resolver import ReferenceResolver
from ingest.rows import CsvRowParser, JsonRowParser
from ingest.seen_keys import DEFAULT_MEMORY_KEYS, SeenKeys
from ingest.specs import BatchOutput, EntitySpec, Values
from ingest.sql_records import BatchProgress, RecordWriter
from portfolio.imports import MAX_RAW_TEXT, ImportStatus
from portfolio.money import DEFAULT_CURRENCY, ISO_4217_CODES

__all__ = [
    "DEFAULT_BATCH_ROWS",
    "DEFAULT_MAX_REJECTS_KEPT",
    "DEFAULT_MAX_REJECTS_STORED",
    "import_paths",
]

#: Rows checked and written together when the caller does not say (the CLI passes
#: ``LOANWATCH_IMPORT_BATCH_ROWS``, whose default is this number).
DEFAULT_BATCH_ROWS: Final = 5_000
#: Rejects kept in the returned report.
DEFAULT_MAX_REJECTS_KEPT: Final = 1_000
#: Rejected rows stored per file; the rest are counted (``rejects_not_stored``), so that a
#: file of garbage cannot fill the database.
DEFAULT_MAX_REJECTS_STORED: Final = 10_000

Clock = Callable[[], datetime]


def _utc_now() -> datetime:
    return datetime.now(UTC)


def import_paths(
    paths: Iterable[str | Path],
    *,
    graph: GraphStore,
    engine: Engine,
    identifier_key: bytes,
    batch_rows: int = DEFAULT_BATCH_ROWS,
    entity_type: str | None = None,
    progress: ProgressCallback | None = None,
    max_rejects_kept: int = DEFAULT_MAX_REJECTS_KEPT,
    clock: Clock = _utc_now,
    memory_keys: int = DEFAULT_MEMORY_KEYS,
    default_currency: str = DEFAULT_CURRENCY,
    max_rejects_stored: int = DEFAULT_MAX_REJECTS_STORED,
    stale_after: timedelta = DEFAULT_STALE_AFTER,
    hostname: str | None = None,
    vault: PersonalDataVault | None = None,
) -> ImportReport:
    """Import files and directories; return what was imported and what was rejected.

    Re-importing the same files changes nothing: every write is an upsert on the external
    id (or on the documented identity of rows without one).

    Args:
        paths: files and directories (read whole, in the documented order); see
            :func:`ingest.files.plan_files`.
        graph: the graph store written through (embedded or Neo4j).
        engine: the SQL database of the relational records, migrated.
        identifier_key: the secret that phone, address and device node ids are keyed
            with (``LOANWATCH_IDENTIFIER_KEY``; see :mod:`graph.identifier_ids`). Every
            import into one graph must use the same key.
        batch_rows: rows checked and written together.
        entity_type: the entity type of every file given (``--type``).
        progress: called after every batch.
        max_rejects_kept: how many rejects the report lists.
        clock: the time source for the batch's timestamps.
        memory_keys: row keys of one file held in memory to find duplicates; past this
            they move to a temporary file (see :mod:`ingest.seen_keys`).
        default_currency: the currency of amounts whose row names none and that are not
            their loan's (parties, bureau snapshots, transactions).
        max_rejects_stored: rejected rows stored per file; the rest are only counted.
        stale_after: a running batch whose heartbeat is older is taken for interrupted
            (see :mod:`ingest.liveness`).
        hostname: this machine's name as batches record it (default: the host name).
        vault: the keys that seal rejected rows' source text in SQL (the graph store seals
            its own personal data); the public development keys when omitted.

    Returns:
        The report, also stored as an ``ImportBatch`` with its ``RejectedRow`` records.
        Earlier batches whose process died are marked ``interrupted`` first and listed in
        ``report.interrupted``.

    Raises:
        ValueError: ``identifier_key`` is empty (before anything is read).
        UnknownFileType, IngestError: a path cannot be imported, or ``default_currency`` is
            not an ISO 4217 code (before anything is read).
        ImportFailed: a write failed; the batch is stored as failed with the reason.
        BackendUnavailable: a store stopped answering.
    """
    if batch_rows < 1:
        raise ValueError(f"batch_rows must be at least 1, got {batch_rows}")
    if default_currency not in ISO_4217_CODES:
        raise IngestError(f"the default currency {default_currency!r} is not an ISO 4217 "
                          "currency code")
    if max_rejects_stored < 0:
        raise ValueError(f"max_rejects_stored must be at least 0, got {max_rejects_stored}")
    files = [replace(plan, spec=with_identifier_key(plan.spec, identifier_key))
             for plan in plan_files(paths, entity_type)]
    records = RecordWriter(engine, vault=vault)
    started = time.perf_counter()
    host = hostname or socket.gethostname()
    try:
        interrupted = find_interrupted(records, hostname=host, now=clock(),
                                       stale_after=stale_after)
        batch_id = records.start_batch([str(f.path) for f in files], clock(),
                                       pid=os.getpid(), hostname=host)
    except SQLAlchemyError as exc:
        raise ImportFailed(f"cannot record the import batch: {_reason(exc)}",
                           suggestion="run the migrations (loanwatch migrate)") from exc
    joint = graph if isinstance(graph, SqlTransactionGraph) and graph.shares_database_with(
        engine) else None
    run = _ImportRun(graph, joint, records, files, batch_rows, progress, max_rejects_kept,
                     memory_keys, max_rejects_stored, clock, default_currency)
    run.report.batch_id = batch_id
    run.report.interrupted = interrupted
    try:
        for plan in files:
            run.import_file(plan)
    except BaseException as exc:
        run.report.status = ImportStatus.FAILED.value
        run.report.duration_s = time.perf_counter() - started
        try:
            run.finish(clock(), error=str(exc) or type(exc).__name__)
        except Exception as secondary:  # the database may be what failed
            exc.add_note(f"the import batch could not be marked failed either: {secondary}")
        raise
    run.report.status = ImportStatus.SUCCEEDED.value
    run.report.duration_s = time.perf_counter() - started
    run.finish(clock())
    return run.report


@dataclass(slots=True)
class _Batch:
    """Rows of one file waiting to be checked against the stores and written."""

    rows: list[tuple[int, str | bytes, Values]] = field(default_factory=list)
    rejects: list[Reject] = field(default_factory=list)
    read: int = 0


class _ImportRun:
    def __init__(self, graph: GraphStore, joint: SqlTransactionGraph | None,
                 records: RecordWriter, files: list[ImportFile], batch_rows: int,
                 progress: ProgressCallback | None, max_rejects_kept: int, memory_keys: int,
                 max_rejects_stored: int, clock: Clock, default_currency: str) -> None:
        self.graph = graph
        #: The graph store when it writes within the records' SQL transactions.
        self.joint = joint
        self.memory_keys = memory_keys
        self.records = records
        self.batch_rows = batch_rows
        self.progress = progress
        self.max_rejects_kept = max_rejects_kept
        self.max_rejects_stored = max_rejects_stored
        self.clock = clock
        find_loans = records.find_loans if joint is not None else self._loans_in_both
        self.resolver = ReferenceResolver(graph, find_loans,
                                          default_currency=default_currency)
        self.report = ImportReport(batch_id=0, status=ImportStatus.RUNNING.value)
        self.bytes_total = sum(f.path.stat().st_size for f in files)
        self.bytes_before = 0

    # -- one file --------------------------------------------------------------------------

    def import_file(self, plan: ImportFile) -> None:
        spec = plan.spec
        file_report = FileReport(str(plan.path), spec.name, plan.format.value)
        self.report.files.append(file_report)
        started = time.perf_counter()
        check = spec.check
        key_of = spec.key_of
        keys = SeenKeys(self.memory_keys)
        seen = keys.memory
        batch = _Batch()
        with LineFile(plan.path) as source, closing(keys):
            header, rows, parse = self._open(plan, source)
            for line, text, payload, problem in rows:
                batch.read += 1
                if problem is not None:
                    batch.rejects.append(_reject(plan, line, None, problem, text))
                else:
                    try:
                        values = parse(payload)
                        if check is not None:
                            check(values)
                    except RowRejected as exc:
                        batch.rejects.append(_reject(plan, line, exc.field, exc.reason, text))
                    else:
                        key = key_of(values)
                        first = seen.setdefault(key, line)
                        if first == line:
                            batch.rows.append((line, text, values))
                        else:
                            batch.rejects.append(_reject(
                                plan, line, ",".join(spec.key), _duplicate(spec, key, first),
                                text))
                if batch.read >= self.batch_rows:
                    self._flush(plan, batch, file_report, source, keys)
                    batch = _Batch()
            self._flush(plan, batch, file_report, source, keys)
            self.bytes_before += source.size
        file_report.duration_s = time.perf_counter() - started
        if file_report.rows_read == 0:
            file_report.warning = _no_rows(header)

    @staticmethod
    def _open(plan: ImportFile, source: LineFile
              ) -> tuple[CsvHeader | None, Iterator[RawRow], Callable[[Any], Values]]:
        if plan.format is FileFormat.CSV:
            header, rows = read_csv(source)
            return header, rows, CsvRowParser(plan.spec, header).parse
        return None, read_jsonl(source), JsonRowParser(plan.spec).parse

    def _loans_in_both(self, ids: Sequence[str]) -> dict[str, str]:
        """Loan records that also have their ``Loan`` node, with their currency: with a
        graph store apart from the records, a crash can leave a batch's records without its
        nodes, and nothing may be attached to them until the batch is imported again."""
        found = self.records.find_loans(ids)
        if not found:
            return found
        labels = self.graph.labels_of(list(found))
        return {loan_id: currency for loan_id, currency in found.items()
                if labels.get(loan_id) is Label.LOAN}

    # -- one batch -------------------------------------------------------------------------

    def _flush(self, plan: ImportFile, batch: _Batch, file_report: FileReport,
               source: LineFile, keys: SeenKeys) -> None:
        if not batch.read:
            return
        spec = plan.spec
        out = BatchOutput()
        rejects = batch.rejects
        if keys.on_disk:
            self._reject_keys_on_disk(plan, batch, keys)
        keys.end_batch()
        lines = [line for line, _, _ in batch.rows] + [r.line for r in rejects]
        where = f"{plan.path}, lines {min(lines)}-{max(lines)}"
        if batch.rows:
            resolver = self.resolver
            if resolver.full:
                resolver.forget()  # earlier batches are written: the stores know their ids
            try:
                resolver.prepare(spec, (values for _, _, values in batch.rows))
            except (GraphError, SQLAlchemyError) as exc:
                raise ImportFailed(f"looking up the ids named in {where} failed: "
                                   f"{_reason(exc)}",
                                   suggestion=getattr(exc, "suggestion", None)) from exc
            for line, text, values in batch.rows:
                problem = resolver.problem(spec, values)
                if problem is not None:
                    rejects.append(_reject(plan, line, problem.field, problem.reason, text))
                    continue
                spec.build(values, out)
                resolver.register(spec, values)
        rejects.sort(key=lambda r: r.line)
        stored_so_far = file_report.rows_rejected - file_report.rejects_not_stored
        room = max(self.max_rejects_stored - stored_so_far, 0)
        report = self.report
        after = BatchProgress(
            counts={**report.counts,
                    spec.name: report.counts.get(spec.name, 0) + batch.read - len(rejects)},
            rows_read=report.rows_read + batch.read,
            rows_imported=report.rows_imported + batch.read - len(rejects),
            rows_rejected=report.rows_rejected + len(rejects),
            retries=report.retries,
        )
        report.retries += self._write(where, out, rejects[:room], after)
        file_report.rows_read += batch.read
        file_report.rows_imported += batch.read - len(rejects)
        file_report.rows_rejected += len(rejects)
        file_report.rejects_not_stored += max(len(rejects) - room, 0)
        kept = report.rejects
        room = self.max_rejects_kept - len(kept)
        if room > 0:
            kept.extend(rejects[:room])
        if self.progress is not None:
            self.progress(ImportProgress(
                file=plan.path, entity=spec.name, rows_read=report.rows_read,
                rows_imported=report.rows_imported, rows_rejected=report.rows_rejected,
                bytes_done=self.bytes_before + source.tell(), bytes_total=self.bytes_total,
            ))

    @staticmethod
    def _reject_keys_on_disk(plan: ImportFile, batch: _Batch, keys: SeenKeys) -> None:
        """Reject the rows whose key was seen before the keys in memory moved to disk."""
        key_of = plan.spec.key_of
        first_lines = keys.first_lines_on_disk([key_of(values) for _, _, values in batch.rows])
        if not first_lines:
            return
        kept = []
        for line, text, values in batch.rows:
            key = key_of(values)
            first = first_lines.get(key)
            if first is None:
                kept.append((line, text, values))
            else:
                keys.memory[key] = first  # later repeats name the true first line
                batch.rejects.append(_reject(plan, line, ",".join(plan.spec.key),
                                             _duplicate(plan.spec, key, first), text))
        batch.rows = kept

    def _write(self, where: str, out: BatchOutput, rejects: list[Reject],
               after: BatchProgress) -> int:
        """Write one batch whole; return the graph transactions retried.

        Joint (embedded graph in the records' database): graph part, records, rejects and
        heartbeat in one SQL transaction. Apart (Neo4j): records and rejects first, then
        the graph part in one transaction, then the heartbeat.
        """
        records = self.records
        batch_id = self.report.batch_id
        try:
            with records.engine.begin() as connection:
                if self.joint is not None:
                    written = self.joint.upsert_batch_in(connection, out.nodes, out.edges)
                records.write_in(connection, out.records, rejects, batch_id)
                if self.joint is not None:
                    after = _with_retries(after, written.retries)
                    records.beat_in(connection, batch_id, at=self.clock(), progress=after)
                    return written.retries
            written = self.graph.upsert_batch(out.nodes, out.edges)
            records.beat(batch_id, at=self.clock(), progress=_with_retries(after, written.retries))
            return written.retries
        except (GraphError, SQLAlchemyError) as exc:
            hint = getattr(exc, "suggestion", None)
            raise ImportFailed(
                f"writing {where} failed: {_reason(exc)}",
                suggestion=(f"{hint}; " if hint else "") + "the batches before this one are "
                           "imported; fix the cause and import again (re-importing is safe)",
            ) from exc

    def finish(self, finished_at: datetime, error: str | None = None) -> None:
        report = self.report
        self.records.finish_batch(
            report.batch_id, status=ImportStatus(report.status), finished_at=finished_at,
            progress=BatchProgress(counts=report.counts, rows_read=report.rows_read,
                                   rows_imported=report.rows_imported,
                                   rows_rejected=report.rows_rejected, retries=report.retries),
            rejects_not_stored=report.rejects_not_stored, warnings=report.warnings,
            error=error,
        )


def _with_retries(progress: BatchProgress, retries: int) -> BatchProgress:
    return replace(progress, retries=progress.retries + retries)


def _no_rows(header: CsvHeader | None) -> str:
    if header is not None and header.names is None and header.problem is None:
        return "the file is empty; nothing was imported from it"
    if header is not None and header.names is not None:
        return "the file has a header but no rows; nothing was imported from it"
    return "the file holds no rows; nothing was imported from it"


def _reason(exc: BaseException) -> str:
    """The first line of the driver's message (SQLAlchemy appends SQL and a link)."""
    original = getattr(exc, "orig", None) or exc
    return (str(original).strip().splitlines() or [type(original).__name__])[0]


def _reject(plan: ImportFile, line: int, field: str | None, reason: str,
            text: str | bytes) -> Reject:
    return Reject(str(plan.path), line, field, reason, source_text(text)[:MAX_RAW_TEXT])


def _duplicate(spec: EntitySpec, key: Any, first: int) -> str:
    if len(spec.key) == 1:
        return f"duplicate {spec.key[0]} {key!r}: already on line {first} of this file"
    shown = ", ".join(repr(part) for part in key)
    return f"duplicate ({', '.join(spec.key)}) ({shown}): already on line {first} of this file"
