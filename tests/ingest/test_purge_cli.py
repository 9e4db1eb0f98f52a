"""``loanwatch purge-rejected``: the retention setting, ``--older-than`` and ``--dry-run``."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, update
from typer.testing import CliRunner

from graph.vault import PersonalDataVault
from ingest.sql_records import RAW_FIELD
from loanwatch.cli.main import app
from portfolio.imports import ImportBatch
from tests.ingest.importing import rows_of, write


@pytest.fixture(autouse=True)
def _no_loanwatch_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("LOANWATCH_"):
            monkeypatch.delenv(name)


def _backdate(engine: Engine, batch_id: int, days: int) -> None:
    with engine.begin() as conn:
        conn.execute(update(ImportBatch.__table__)  # type: ignore[attr-defined]
                     .where(ImportBatch.__table__.c.id == batch_id)  # type: ignore[attr-defined]
                     .values(started_at=datetime.now(UTC) - timedelta(days=days)))


def test_purge_follows_the_retention_setting_and_dry_runs(tmp_path: Path,
                                                          database: Engine) -> None:
    env = {"LOANWATCH_DATABASE_URL": database.url.render_as_string(hide_password=False),
           "LOANWATCH_REJECTED_ROW_RETENTION_DAYS": "30", "COLUMNS": "200"}
    path = write(tmp_path, "persons.csv", "id,name,gender\nP1,Zhang Wei,X\nP2,Li Na,Y\n")
    for _ in range(2):
        assert CliRunner().invoke(app, ["import", str(path)], env=env).exit_code == 2
    _backdate(database, 1, days=45)
    runner = CliRunner()

    dry = runner.invoke(app, ["purge-rejected", "--dry-run"], env=env)
    assert dry.exit_code == 0, dry.output
    assert "would blank the raw text of 2 rejected rows in 1 import batches" in dry.output
    assert "(30 days ago)" in dry.output
    assert rows_of(database, "SELECT count(*) FROM rejected_row WHERE raw = ''") == [(0,)]

    done = runner.invoke(app, ["purge-rejected"], env=env)
    assert "blanked the raw text of 2 rejected rows in 1 import batches" in done.output
    opened = PersonalDataVault.development().open_text  # stored sealed (graph.vault)
    assert [(*row[:3], opened(RAW_FIELD, row[3])) for row in rows_of(
        database, "SELECT batch_id, line, field, raw FROM rejected_row ORDER BY id")] == [
        (1, 2, "gender", ""), (1, 3, "gender", ""),
        (2, 2, "gender", "P1,Zhang Wei,X"), (2, 3, "gender", "P2,Li Na,Y")]

    everything = runner.invoke(app, ["purge-rejected", "--older-than", "0"], env=env)
    assert "blanked the raw text of 2 rejected rows in 1 import batches" in everything.output
    assert rows_of(database, "SELECT count(*) FROM rejected_row WHERE raw <> ''") == [(0,)]
