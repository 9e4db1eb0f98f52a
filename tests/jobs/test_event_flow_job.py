"""The event flow as a job, on the in-process broker and through the real Redis: an event
submitted twice, and its message delivered twice, re-scores its neighbourhood once (one
review, one case per serious alert and loan), announces the alerts on the feed, and a unit
left pending without a broker is run once the scheduler enqueues it; a malformed message is
dead-lettered with its error."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import dramatiq
import pytest
from dramatiq.brokers.stub import StubBroker
from sqlalchemy import Engine, func, select
from sqlmodel import Session

from graph.stores.embedded import EmbeddedGraphStore
from ingest.recording import record_row
from jobs.actors.event_flow import BASES_MEMO, EVENT_FLOW, FLOW_QUEUE, JOBS, flow_unit_key
from jobs.broker import build_broker
from jobs.catalog import declare_jobs
from jobs.dead_letter_middleware import DeadLetterRecorder
from jobs.dead_letters import list_dead_letters
from jobs.event_submission import EventFlowSubmitter
from jobs.messages import send_unit
from jobs.options import JobOptions
from jobs.runtime import JobRuntime
from jobs.scheduler import Scheduler
from jobs.units import UNIT, get_unit
from loanwatch.errors import BackendUnavailable
from portfolio.alert_follow_ups import AlertFollowUp
from portfolio.collections import CollectionCase
from portfolio.reviews import ReviewRecord
from risk.collections.cases import get_case
from tests.ingest.importing import import_files
from tests.jobs.machinery import FAST
from tests.portfolio.databases import sqlite_engine
from tests.principals import ListAuditSink
from tests.risk.flow.feeds import HeardFeed
from tests.risk.flow.network import EVENT_DAY, write_network
from tests.services import REDIS_URL, unreachable

__all__ = ["sqlite_engine"]

T0 = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)


def _count(engine: Engine, table: type) -> int:
    with engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(table)).scalar_one())


@pytest.fixture(params=["in-process", pytest.param("redis", marks=pytest.mark.redis)])
def broker(request: pytest.FixtureRequest) -> Iterator[dramatiq.Broker]:
    if request.param == "in-process":
        yield build_broker(None, FAST)
        return
    try:
        redis_broker = build_broker(REDIS_URL, JobOptions(broker_url=REDIS_URL,
                                                          retry_min_backoff_s=0.01,
                                                          retry_max_backoff_s=0.05,
                                                          max_retries=5))
    except BackendUnavailable as exc:
        unreachable("Redis", REDIS_URL, exc)
    redis_broker.flush_all()  # type: ignore[attr-defined]
    yield redis_broker
    redis_broker.flush_all()  # type: ignore[attr-defined]
    redis_broker.close()


@pytest.fixture
def stack(sqlite_engine: Engine, broker: dramatiq.Broker,
          tmp_path: Path) -> Iterator[tuple[Engine, dramatiq.Broker, HeardFeed, JobRuntime]]:
    graph = EmbeddedGraphStore(sqlite_engine)
    import_files([write_network(tmp_path / "network")], graph, sqlite_engine)
    feed = HeardFeed()
    runtime = JobRuntime(engine=sqlite_engine, broker=broker, clock=lambda: T0,
                         open_graph=lambda: graph, owns_graph=False,
                         values={"flow_hops": 2}, alert_feed=feed, audit=ListAuditSink())
    broker.add_middleware(DeadLetterRecorder(sqlite_engine, retry_delays_s=()))
    declare_jobs(broker, JOBS, lambda: runtime)
    broker.emit_after("process_boot")
    worker = dramatiq.Worker(broker, worker_threads=2, worker_timeout=50)
    worker.start()
    try:
        yield sqlite_engine, broker, feed, runtime
    finally:
        worker.stop()


def _cases(engine: Engine) -> list[CollectionCase]:
    with Session(engine) as session:
        return list(session.scalars(select(CollectionCase)).all())


def _record(engine: Engine, event_id: str) -> dict[str, object]:
    graph = EmbeddedGraphStore(engine)  # the records' own store: closing it is the engine's
    return record_row("repayments", event_id, {"id": f"R-{event_id}", "loan_id": "L1",
                                               "paid_on": EVENT_DAY, "amount": "100.00"},
                      graph=graph, engine=engine, actor="bank-feed").values


def test_an_event_submitted_and_delivered_twice_runs_its_flow_once(
        stack: tuple[Engine, dramatiq.Broker, HeardFeed, JobRuntime]) -> None:
    engine, broker, feed, runtime = stack
    values = _record(engine, "ev-1")
    submitter = EventFlowSubmitter(engine, broker, clock=lambda: T0)

    unit = submitter.submit("repayments", "ev-1", values)
    again = submitter.submit("repayments", "ev-1", values)  # the sender's retry
    assert unit is not None and again is not None
    assert unit.key == again.key == flow_unit_key("repayments", "ev-1") == "flow:repayments:ev-1"
    broker.join(FLOW_QUEUE, timeout=60_000)
    done = get_unit(engine, unit.key)
    assert done is not None and done.state == "done"
    send_unit(broker, done)  # the message delivered once more
    broker.join(FLOW_QUEUE, timeout=60_000)

    assert (_count(engine, ReviewRecord), _count(engine, CollectionCase),
            _count(engine, AlertFollowUp)) == (2, 2, 2)
    case = get_case(engine, "L2@2025-01-15")
    assert [(t.rule_id, t.event_id) for t in case.triggers] == [("related-default-2", "ev-1")]
    assert [(e["source"], e["type"], e["target"]) for e in case.triggers[0].path["edges"]] == [
        ("P2", "BORROWS", "L1"), ("P1", "GUARANTEES", "L1")]
    # Each case the flow opened is in the audit trail, once, by the system, with its reason.
    assert runtime.audit is not None
    opened = [e for e in runtime.audit.events  # type: ignore[attr-defined]
              if e.operation == "collections case opened"]
    assert sorted(e.targets for e in opened) == sorted(
        (c.id, c.loan_id) for c in _cases(engine))
    assert all(e.user is None and e.detail["to_state"] == "open" and e.detail["reason"]
               for e in opened)
    raised = [c for c in feed.heard if c.change == "raised"]
    assert len(raised) == 4 and ("party", "P1") in {(c.subject_kind, c.subject_id)
                                                    for c in raised}
    with engine.connect() as connection:
        units = connection.execute(select(func.count()).select_from(UNIT)).scalar_one()
    assert units == 1
    # The date's review basis was built once and kept for the next events of the date.
    runtime.shared(BASES_MEMO, lambda: pytest.fail("the bases were not kept"))


def test_without_a_broker_the_flow_waits_for_the_scheduler(
        stack: tuple[Engine, dramatiq.Broker, HeardFeed, JobRuntime]) -> None:
    engine, broker, _, _ = stack
    unit = EventFlowSubmitter(engine, None, clock=lambda: T0).submit(
        "repayments", "ev-1", _record(engine, "ev-1"))
    assert unit is not None and unit.state == "pending"
    assert EventFlowSubmitter(engine, None).submit("loans", "x", {}) is None

    report = Scheduler(engine, broker, clock=lambda: T0).run_once()
    assert report.enqueued == 1
    broker.join(FLOW_QUEUE, timeout=60_000)
    assert get_unit(engine, unit.key).state == "done"  # type: ignore[union-attr]
    assert _count(engine, CollectionCase) == 2


def test_a_malformed_flow_message_is_dead_lettered_with_its_error(
        stack: tuple[Engine, dramatiq.Broker, HeardFeed, JobRuntime]) -> None:
    engine, broker, _, _ = stack
    unit = EventFlowSubmitter(engine, None, clock=lambda: T0).submit(
        "repayments", "ev-1", _record(engine, "ev-1"))
    assert unit is not None
    broker.declare_queue(FLOW_QUEUE)
    broker.enqueue(dramatiq.Message(queue_name=FLOW_QUEUE, actor_name=EVENT_FLOW,
                                    args=(unit.key, "repayments", "yesterday", [], [], []),
                                    kwargs={}, options={"idempotency_key": unit.key}))
    if isinstance(broker, StubBroker):  # it would raise the job's error here
        broker.join(FLOW_QUEUE, timeout=60_000, fail_fast=False)
    else:
        broker.join(FLOW_QUEUE, timeout=60_000)
    letters = list_dead_letters(engine)
    assert [letter.actor_name for letter in letters] == [EVENT_FLOW]
    assert letters[0].error_class == "JobPayloadError"
    assert "malformed flow event 'ev-1'" in letters[0].error_message
    assert _count(engine, ReviewRecord) == 0
