"""The event flow through real Redis and a real ``loanwatch worker`` process, on PostgreSQL
with the embedded graph: the API's submitter enqueues the unit, the worker (wired from its
settings as in production) runs the flow once, and the alerts it raises reach the alert
channel that the API processes listen on."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest
import redis

from graph.stores.embedded import EmbeddedGraphStore
from ingest.recording import record_row
from jobs.actors.event_flow import flow_unit_key
from jobs.broker import build_broker
from jobs.event_submission import EventFlowSubmitter
from jobs.options import JobOptions
from jobs.units import get_unit
from loanwatch.errors import BackendUnavailable
from loanwatch.migrations import migrate
from risk.alerts.feed import ALERT_CHANNEL
from risk.collections.cases import get_case
from tests.ingest.importing import import_files
from tests.jobs.processes import WorkerProcess, running, wait_until
from tests.risk.flow.network import EVENT_DAY, write_network
from tests.services import REDIS_URL, postgres_schema, unreachable

pytestmark = [pytest.mark.redis, pytest.mark.postgres]


def test_a_worker_process_runs_the_flow_of_a_recorded_event_once(tmp_path: Path) -> None:
    try:
        broker = build_broker(REDIS_URL, JobOptions(broker_url=REDIS_URL))
    except BackendUnavailable as exc:
        unreachable("Redis", REDIS_URL, exc)
    broker.flush_all()  # type: ignore[attr-defined]
    listener = redis.Redis.from_url(REDIS_URL).pubsub(ignore_subscribe_messages=True)
    listener.subscribe(ALERT_CHANNEL)
    with postgres_schema("lw_flow_worker") as engine:
        migrate(engine)
        graph = EmbeddedGraphStore(engine)
        import_files([write_network(tmp_path / "network")], graph, engine)
        values = record_row("repayments", "ev-1", {"id": "R-ev-1", "loan_id": "L1",
                                                   "paid_on": EVENT_DAY, "amount": "100.00"},
                            graph=graph, engine=engine, actor="bank-feed").values
        submitter = EventFlowSubmitter(engine, broker)
        submitter.submit("repayments", "ev-1", values)
        submitter.submit("repayments", "ev-1", values)  # the sender's retry
        environ = {name: value for name, value in os.environ.items()
                   if not name.startswith("LOANWATCH_") or name.startswith("LOANWATCH_TEST_")}
        environ.update({"LOANWATCH_DATABASE_URL": engine.url.render_as_string(
                            hide_password=False),
                        "LOANWATCH_BROKER_URL": REDIS_URL,
                        "LOANWATCH_DATA_DIR": str(tmp_path / "data"),
                        "LOANWATCH_FLOW_HOPS": "2", "PYTHONUNBUFFERED": "1"})
        worker = WorkerProcess(environ, tmp_path / "worker.log", "--processes", "1",
                               "--threads", "1", "--no-scheduler")
        key = flow_unit_key("repayments", "ev-1")
        with running(worker):
            wait_until(lambda: getattr(get_unit(engine, key), "state", None) == "done",
                       "the flow's unit to be done", timeout_s=120)
        case = get_case(engine, "L2@2025-01-15")
        assert [(t.rule_id, t.event_id) for t in case.triggers] == [
            ("related-default-2", "ev-1")], worker.output()
        with engine.connect() as connection:
            counts = connection.exec_driver_sql(
                "select (select count(*) from review), (select count(*) from alert_follow_up),"
                " (select count(*) from job_unit)").one()
        assert tuple(counts) == (2, 2, 1)
    heard = []
    deadline = time.monotonic() + 5.0  # a None is also the subscription's confirmation
    while time.monotonic() < deadline:
        message = listener.get_message(timeout=0.5)
        if message is not None:
            heard.append(json.loads(message["data"]))
    listener.close()
    broker.flush_all()  # type: ignore[attr-defined]
    broker.close()
    assert ("raised", "party", "P1") in {(h["change"], h["subject_kind"], h["subject_id"])
                                         for h in heard}
