"""Rejected rows lose their raw text once their batch is older than the retention."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine

from graph.stores.embedded import EmbeddedGraphStore
from graph.vault import PersonalDataVault
from ingest.sql_records import RAW_FIELD
from portfolio.retention import RejectedRowPurge, purge_rejected_raw
from tests.ingest.importing import import_files, rows_of, write

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
PERSONS = "id,name,national_id,monthly_income\nP1,Zhang Wei,330102197803150011,-5\nP2,Li Na,,x\n"
REJECTS = "SELECT batch_id, file, line, field, reason, raw FROM rejected_row ORDER BY id"


def _opened(rows: list[tuple]) -> list[tuple]:
    """``rows`` of REJECTS with the raw text opened (it is stored sealed, graph.vault)."""
    opened = PersonalDataVault.development().open_text
    return [(*row[:5], opened(RAW_FIELD, row[5])) for row in rows]


def _import_at(tmp_path: Path, engine: Engine, when: datetime, name: str) -> None:
    folder = tmp_path / name
    folder.mkdir()
    path = write(folder, "persons.csv", PERSONS)
    report = import_files([path], EmbeddedGraphStore(engine), engine, clock=lambda: when)
    assert report.rows_rejected == 2


def test_old_batches_lose_the_raw_text_and_keep_the_rest(tmp_path: Path,
                                                         database: Engine) -> None:
    _import_at(tmp_path, database, NOW - timedelta(days=100), "old")
    _import_at(tmp_path, database, NOW - timedelta(days=10), "recent")
    sealed = rows_of(database, REJECTS)
    assert all("Zhang" not in row[5] and "330102197803150011" not in row[5] for row in sealed)
    before = _opened(sealed)
    assert "330102197803150011" in before[0][5]

    purge = purge_rejected_raw(database, started_before=NOW - timedelta(days=90))

    assert purge == RejectedRowPurge(cutoff=NOW - timedelta(days=90), batches=1, rows=2)
    after = _opened(rows_of(database, REJECTS))
    assert after == [(*row[:5], "") for row in before[:2]] + before[2:]
    assert all("Zhang" not in row[5] for row in after[:2])
    assert "Zhang Wei" in after[2][5]
    # Repeating changes nothing.
    assert purge_rejected_raw(database, started_before=NOW - timedelta(days=90)).rows == 0


def test_a_dry_run_counts_and_changes_nothing(tmp_path: Path, database: Engine) -> None:
    _import_at(tmp_path, database, NOW - timedelta(days=100), "old")
    _import_at(tmp_path, database, NOW - timedelta(days=95), "older")
    before = rows_of(database, REJECTS)

    purge = purge_rejected_raw(database, started_before=NOW, dry_run=True)

    assert (purge.batches, purge.rows, purge.dry_run) == (2, 4, True)
    assert rows_of(database, REJECTS) == before


def test_a_naive_cutoff_is_refused(sqlite_engine: Engine) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        purge_rejected_raw(sqlite_engine, started_before=datetime(2026, 1, 1))
