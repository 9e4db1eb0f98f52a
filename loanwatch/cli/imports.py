"""``loanwatch import PATH...``: bulk import of CSV and JSON Lines files.

Exit codes: 0 when every row was imported, 2 when some rows were rejected (the report says
which and why), and the codes of :mod:`loanwatch.cli.errors` when the import could not run
(3 when the database or Neo4j cannot be reached).
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Final

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from ingest.catalog import ENTITY_TYPES
from ingest.files import plan_files
from ingest.importer import DEFAULT_MAX_REJECTS_STORED, import_paths
from ingest.report import ImportProgress, ImportReport
from loanwatch.settings import Settings
from loanwatch.wiring import create_engine_from_settings, open_graph_store, open_vault

__all__ = [
    "DEFAULT_REJECTS_SHOWN",
    "EXIT_ROWS_REJECTED",
    "ImportProgressBar",
    "import_",
    "print_report",
]

#: Exit code when the import ran to its end but rejected some rows.
EXIT_ROWS_REJECTED: Final = 2
DEFAULT_REJECTS_SHOWN: Final = 20

console = Console()


def import_(
    paths: list[Path] = typer.Argument(
        ..., help="Files and directories (read whole, in dependency order)."),
    entity_type: str | None = typer.Option(
        None, "--type",
        help=f"Entity type of the files given, when their names say otherwise: "
             f"{', '.join(ENTITY_TYPES)}."),
    batch_rows: int | None = typer.Option(
        None, "--batch-rows", min=1,
        help="Rows checked and written together (default: LOANWATCH_IMPORT_BATCH_ROWS)."),
    max_rejects_shown: int = typer.Option(
        DEFAULT_REJECTS_SHOWN, "--max-rejects-shown", min=0,
        help="Rejected rows listed after the report."),
    max_rejects_stored: int = typer.Option(
        DEFAULT_MAX_REJECTS_STORED, "--max-rejects-stored", min=0,
        help="Rejected rows stored per file (table rejected_row); the rest are counted."),
) -> None:
    """Import borrowers, loans, repayments, transactions and relations (docs/import-format.md).

    Re-importing the same files changes nothing. Bad rows are rejected with file, line,
    field and reason; every good row is imported.
    """
    settings = Settings.from_environ()
    identifier_key = settings.resolved_identifier_key
    plan_files(paths, entity_type)  # a bad path fails here, before any connection
    engine = create_engine_from_settings(settings)
    try:
        graph = open_graph_store(settings, engine)
        try:
            with ImportProgressBar() as bar:
                report = import_paths(
                    paths, graph=graph, engine=engine, identifier_key=identifier_key,
                    entity_type=entity_type,
                    batch_rows=batch_rows or settings.import_batch_rows,
                    default_currency=settings.base_currency,
                    progress=bar.update,
                    max_rejects_kept=max(max_rejects_shown, 1),
                    max_rejects_stored=max_rejects_stored,
                    vault=open_vault(settings),
                )
        finally:
            graph.close()
    finally:
        engine.dispose()
    print_report(report, console, max_rejects_shown)
    if not report.complete:
        raise typer.Exit(EXIT_ROWS_REJECTED)


class ImportProgressBar:
    """A rich progress bar over the bytes of all files, showing rows and rows per second."""

    def __init__(self, out: Console | None = None) -> None:
        self._progress = Progress(
            TextColumn("[bold]{task.description:<14}"),
            BarColumn(),
            DownloadColumn(),
            TextColumn("{task.fields[rows]:>12,} rows"),
            TextColumn("{task.fields[rate]:>9,.0f} rows/s"),
            TimeElapsedColumn(),
            console=out or console,
            transient=True,
        )
        self._task = self._progress.add_task("reading", total=None, rows=0, rate=0.0)
        self._started = time.perf_counter()

    def __enter__(self) -> ImportProgressBar:
        self._progress.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._progress.stop()

    def update(self, event: ImportProgress) -> None:
        elapsed = time.perf_counter() - self._started
        self._progress.update(
            self._task, description=event.entity, total=event.bytes_total,
            completed=event.bytes_done, rows=event.rows_read,
            rate=event.rows_read / elapsed if elapsed > 0 else 0.0,
        )


def print_report(report: ImportReport, out: Console, max_rejects_shown: int) -> None:
    """Print ``report``: earlier batches found interrupted, a table of files, the totals,
    warnings, then the first rejected rows."""
    for batch in report.interrupted:
        out.print(f"[bold yellow]{escape(str(batch))}[/]: "
                  f"{escape(', '.join(batch.files))}", highlight=False)
    paths = [Path(file.path) for file in report.files]
    # Show names relative to the directory the files share, so long paths do not crowd out
    # the figures; the title names that directory once.
    base = Path(os.path.commonpath([p.parent for p in paths])) if paths else Path()
    title = f"Import batch {report.batch_id}: {report.status} ({escape(str(base))})"
    table = Table(title=title, title_justify="left")
    table.add_column("file", overflow="fold")
    table.add_column("type")
    for column in ("read", "imported", "rejected", "rows/s"):
        table.add_column(column, justify="right", no_wrap=True)
    for file in report.files:
        rejected = f"[red]{file.rows_rejected:,}[/]" if file.rows_rejected else "0"
        name = escape(str(Path(file.path).relative_to(base)))
        table.add_row(name, file.entity, f"{file.rows_read:,}", f"{file.rows_imported:,}",
                      rejected, f"{file.rows_per_s:,.0f}")
    out.print(table)
    out.print(
        f"{report.rows_imported:,} of {report.rows_read:,} rows imported, "
        f"{report.rows_rejected:,} rejected, in {report.duration_s:.2f} s "
        f"({report.rows_per_s:,.0f} rows/s)", highlight=False)
    if report.retries:
        out.print(f"{report.retries:,} graph transactions were retried after transient "
                  f"errors (deadlocks with another writer); all succeeded", highlight=False)
    for warning in report.warnings:
        out.print(f"[bold yellow]warning:[/] {escape(warning)}", highlight=False)
    if report.rejects_not_stored:
        out.print(f"{report.rejects_not_stored:,} more rejected rows not stored (past "
                  f"--max-rejects-stored per file); they are counted above", highlight=False)
    if not report.rows_rejected or max_rejects_shown == 0:
        return
    out.print("[bold red]Rejected rows[/] (file:line field: reason)")
    for reject in report.rejects[:max_rejects_shown]:
        out.print(f"  {escape(reject.file)}:{reject.line} [bold]{escape(reject.field or '-')}[/]: "
                  f"{escape(reject.reason)}", highlight=False)
    hidden = report.rows_rejected - min(len(report.rejects), max_rejects_shown)
    if hidden > 0:
        stored = (f"{report.rows_rejected - report.rejects_not_stored:,} rejected rows are"
                  if report.rejects_not_stored else "every rejected row is")
        out.print(f"  … and {hidden:,} more; {stored} stored with import batch "
                  f"{report.batch_id} (table rejected_row).", highlight=False)
