"""Helpers for importer tests: write tiny files inline, import them, read back the results."""

from __future__ import annotations

from pathlib import Path
from textwrap import dedent
from typing import Any

from sqlalchemy import Engine, func, select, text

from graph.identifier_ids import identifier_node_id
from graph.store import GraphStore
from ingest.importer import import_paths
from ingest.report import ImportReport

__all__ = [
    "EXAMPLES",
    "TEST_IDENTIFIER_KEY",
    "identifier_id",
    "import_files",
    "rejects_of",
    "rows_of",
    "table_counts",
    "write",
]

EXAMPLES = Path(__file__).resolve().parents[2] / "docs" / "import-examples"
#: The identifier key of the importer tests.
TEST_IDENTIFIER_KEY = b"loanwatch-tests-identifier-key-0123456789"


def identifier_id(kind: str, normal: str) -> str:
    """The node id of a normalised identifier under :data:`TEST_IDENTIFIER_KEY`."""
    return identifier_node_id(kind, normal, TEST_IDENTIFIER_KEY)


def write(folder: Path, name: str, content: str) -> Path:
    """Write ``content`` (dedented, first newline dropped) to ``folder/name``."""
    path = folder / name
    path.write_text(dedent(content).lstrip("\n"), encoding="utf-8")
    return path


def import_files(paths: list[Path], graph: GraphStore, engine: Engine,
                 **options: Any) -> ImportReport:
    options.setdefault("identifier_key", TEST_IDENTIFIER_KEY)
    return import_paths(paths, graph=graph, engine=engine, **options)


def rejects_of(report: ImportReport) -> list[tuple[str, int, str | None, str]]:
    """The report's rejects as (file name, line, field, reason)."""
    return [(Path(r.file).name, r.line, r.field, r.reason) for r in report.rejects]


def table_counts(engine: Engine) -> dict[str, int]:
    tables = ("loan", "installment", "repayment", "bureau_snapshot", "loan_modification")
    with engine.connect() as connection:
        return {t: connection.execute(select(func.count()).select_from(text(t))).scalar_one()
                for t in tables}


def rows_of(engine: Engine, sql: str) -> list[tuple[Any, ...]]:
    with engine.connect() as connection:
        return [tuple(row) for row in connection.execute(text(sql))]
