"""The key rotation as a job: ``keys rotate --background`` leaves a unit of work, the
in-process jobs of ``loanwatch serve`` run it to the end, and asking again for the same key
versions enqueues nothing."""

from __future__ import annotations

import base64
import os
import time
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from graph.model import Label
from graph.stores.embedded import EmbeddedGraphStore
from graph.stores.embedded_schema import graph_node
from jobs.key_rotation import rotation_status
from jobs.units import get_unit
from loanwatch.cli.job_wiring import start_jobs_in_process
from loanwatch.cli.main import app
from loanwatch.migrations import migrate
from loanwatch.settings import Settings
from loanwatch.wiring import open_vault
from portfolio.database import create_sql_engine
from tests.ingest.importing import EXAMPLES

K1 = base64.b64encode(b"a" * 32).decode()
K2 = base64.b64encode(b"b" * 32).decode()
IDENTIFIER_KEY = "job-tests-identifier-key-0123456789abcdef"
UNIT_KEY = "keys.rotate:data-v2:hash-v1"


@pytest.fixture(autouse=True)
def _no_loanwatch_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("LOANWATCH_") and not name.startswith("LOANWATCH_TEST_"):
            monkeypatch.delenv(name)


def test_keys_rotate_background_runs_as_a_job_in_process(tmp_path: Path) -> None:
    engine = create_sql_engine(f"sqlite:///{tmp_path / 'loanwatch.db'}")
    migrate(engine)
    environ = {"LOANWATCH_DATABASE_URL": engine.url.render_as_string(hide_password=False),
               "LOANWATCH_IDENTIFIER_KEY": IDENTIFIER_KEY, "COLUMNS": "200",
               "LOANWATCH_SCHEDULER_INTERVAL_S": "0.2"}
    runner = CliRunner()
    imported = runner.invoke(app, ["import", str(EXAMPLES)],
                             env={**environ, "LOANWATCH_DATA_KEYS": f"1:{K1}"})
    assert imported.exit_code in (0, 2), imported.output  # the examples hold bad rows
    environ["LOANWATCH_DATA_KEYS"] = f"1:{K1},2:{K2}"

    queued = runner.invoke(app, ["keys", "rotate", "--background", "--page-size", "2"],
                           env=environ)
    assert queued.exit_code == 0, queued.output
    assert f"{UNIT_KEY}: queued in the database" in queued.output
    unit = get_unit(engine, UNIT_KEY)
    assert unit is not None and unit.state == "pending" and unit.args == (2,)

    settings = Settings.from_environ(environ)
    graph = EmbeddedGraphStore(engine, vault=open_vault(settings))
    jobs = start_jobs_in_process(settings, engine, graph)
    try:
        deadline = time.monotonic() + 60
        while get_unit(engine, UNIT_KEY).state != "done":  # type: ignore[union-attr]
            assert time.monotonic() < deadline, "the rotation did not finish in 60 s"
            time.sleep(0.1)
    finally:
        jobs.stop()
        graph.close()
    state = rotation_status(engine)
    assert state is not None and state.finished and state.data_key_version == 2
    with engine.connect() as connection:
        names = connection.execute(select(graph_node.c.name).where(
            graph_node.c.label == Label.PERSON.value)).scalars().all()
    assert names and all(name.startswith("lw1$2$") for name in names)

    again = runner.invoke(app, ["keys", "rotate", "--background"], env=environ)
    assert again.exit_code == 0 and "already queued or done" in again.output, again.output
    engine.dispose()
