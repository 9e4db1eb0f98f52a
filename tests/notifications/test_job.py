"""The delivery as a job: the in-process jobs of ``loanwatch serve`` deliver the outbox on
their own (the schedule fires, the pass sends), and real ``loanwatch worker`` processes on
a real Redis, running several passes at once, send every message once."""

from __future__ import annotations

import json
import os
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from jobs.actors.notifications import DELIVER_NOTIFICATIONS, NOTIFICATIONS_QUEUE
from jobs.broker import build_broker
from jobs.options import JobOptions
from jobs.scheduler import Scheduler
from jobs.units import UNIT, UnitSpec, add_units
from loanwatch.cli.job_wiring import start_jobs_in_process
from loanwatch.migrations import migrate
from loanwatch.settings import Settings
from loanwatch.wiring import open_vault
from notifications.channels.file import FILE_NAME
from notifications.outbox import list_notifications
from portfolio.database import create_sql_engine
from tests.jobs.processes import PrivateRedis, WorkerProcess, running, wait_until
from tests.notifications.delivery_setup import contacts_graph, queue
from tests.notifications.servers import gateway
from tests.services import postgres_schema


@pytest.fixture(autouse=True)
def _no_loanwatch_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("LOANWATCH_") and not name.startswith("LOANWATCH_TEST_"):
            monkeypatch.delenv(name)


def test_the_in_process_jobs_deliver_the_outbox_on_their_own(tmp_path: Path) -> None:
    engine = create_sql_engine(f"sqlite:///{tmp_path / 'loanwatch.db'}")
    migrate(engine)
    now = datetime.now(UTC)
    with gateway() as server:
        settings = Settings.from_environ({
            "LOANWATCH_DATABASE_URL": engine.url.render_as_string(hide_password=False),
            "LOANWATCH_DATA_DIR": str(tmp_path / "data"),
            "LOANWATCH_NOTIFY_SMS_GATEWAY_URL": server.url,
            "LOANWATCH_SCHEDULER_INTERVAL_S": "0.2"})
        graph = contacts_graph(engine, open_vault(settings))
        queue(engine, "sms:1", channel="sms", not_before=now)
        queue(engine, "file:1", channel="file", party="P2", not_before=now)
        jobs = start_jobs_in_process(settings, engine, graph)
        try:
            wait_until(lambda: {n.status for n in list_notifications(engine)} == {"sent"},
                       "both notifications to be sent")
        finally:
            jobs.stop()
            graph.close()
    assert [request.body["reference"] for request in server.requests] == ["sms:1"]
    # Without NOTIFY_FILE_DIR the file channel writes under the data directory.
    [line] = (tmp_path / "data" / "notifications" / FILE_NAME).read_text().splitlines()
    assert json.loads(line)["key"] == "file:1"
    with engine.connect() as connection:
        states = connection.execute(select(UNIT.c.key, UNIT.c.state).where(
            UNIT.c.actor_name == DELIVER_NOTIFICATIONS)).all()
    assert states and states[0].key.startswith("notifications.deliver@")
    assert {state for _, state in states} == {"done"}
    engine.dispose()


@pytest.mark.redis
@pytest.mark.postgres
def test_worker_processes_running_passes_at_once_send_each_message_once(
        tmp_path: Path) -> None:
    private = PrivateRedis(tmp_path / "redis")
    private.start()
    try:
        with postgres_schema("lw_notify_jobs") as engine, gateway() as server:
            migrate(engine)
            graph = contacts_graph(engine, open_vault(Settings.from_environ({})))
            now = datetime.now(UTC)
            for number in range(60):
                queue(engine, f"sms:{number:02d}", channel="sms", not_before=now)
            # Six passes due at once, on two worker processes of two threads each.
            add_units(engine, [UnitSpec(f"notifications.deliver:test-{n}",
                                        DELIVER_NOTIFICATIONS, NOTIFICATIONS_QUEUE, now)
                               for n in range(6)], now=now)
            environ = {name: value for name, value in os.environ.items()
                       if not name.startswith("LOANWATCH_") or name.startswith("LOANWATCH_TEST_")}
            environ.update({
                "LOANWATCH_DATABASE_URL": engine.url.render_as_string(hide_password=False),
                "LOANWATCH_BROKER_URL": private.url,
                "LOANWATCH_DATA_DIR": str(tmp_path / "data"),
                "LOANWATCH_NOTIFY_SMS_GATEWAY_URL": server.url,
                "LOANWATCH_NOTIFY_BATCH": "2",
                "PYTHONUNBUFFERED": "1"})
            broker = build_broker(private.url, JobOptions(broker_url=private.url))
            Scheduler(engine, broker).run_once()
            broker.close()
            worker = WorkerProcess(environ, tmp_path / "worker.log", "--processes", "2",
                                   "--threads", "2", "--no-scheduler")
            with running(worker):
                wait_until(lambda: {n.status for n in list_notifications(engine, limit=100)}
                           == {"sent"}, "every notification to be sent", timeout_s=120)
                assert worker.terminate() == 0
            graph.close()
            sent = Counter(request.body["reference"] for request in server.requests)
            assert sorted(sent) == [f"sms:{number:02d}" for number in range(60)]
            assert set(sent.values()) == {1}, worker.output()
            with engine.connect() as connection:
                states = connection.execute(select(UNIT.c.state).where(
                    UNIT.c.actor_name == DELIVER_NOTIFICATIONS)).scalars().all()
            assert states == ["done"] * 6
    finally:
        private.kill()
