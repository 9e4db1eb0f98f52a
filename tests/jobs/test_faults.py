"""Faults, each against real Redis, real PostgreSQL and real ``loanwatch worker``
processes: a worker killed with SIGKILL mid-batch, Redis killed and restarted with jobs
queued, the database unreachable for a while, a poison message, a schedule due during an
outage. Every time: every unit's effect exactly once (counted in SQL), nothing lost.

The heartbeat window is 2 s here (``LOANWATCH_BROKER_HEARTBEAT_TIMEOUT_S``), the retry
backoff 0.2 to 1 s, so each test takes seconds.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import dramatiq
import pytest
from sqlalchemy import Engine, func, make_url, select

from jobs.broker import build_broker
from jobs.dead_letters import list_dead_letters
from jobs.messages import send_message
from jobs.options import JobOptions
from jobs.scheduler import Scheduler
from jobs.schedules import ScheduleSpec, ensure_schedules
from jobs.units import UNIT, UnitSpec, add_units
from loanwatch.migrations import migrate
from tests.jobs import workload
from tests.jobs.machinery import disable_job_schedules, effects, reset_effects
from tests.jobs.processes import PrivateRedis, TcpProxy, WorkerProcess, running, wait_until
from tests.services import postgres_schema

pytestmark = [pytest.mark.redis, pytest.mark.postgres]

HEARTBEAT_S = "2"


@dataclass
class Stack:
    engine: Engine
    redis: PrivateRedis
    tmp: Path

    def environ(self, database_url: str | None = None) -> dict[str, str]:
        environ = {name: value for name, value in os.environ.items()
                   if not name.startswith("LOANWATCH_") or name.startswith("LOANWATCH_TEST_")}
        environ.update({
            "LOANWATCH_DATABASE_URL": database_url or self.database_url,
            "LOANWATCH_BROKER_URL": self.redis.url,
            "LOANWATCH_DATA_DIR": str(self.tmp / "data"),
            "LOANWATCH_BROKER_HEARTBEAT_TIMEOUT_S": HEARTBEAT_S,
            "LOANWATCH_JOB_RETRY_MIN_BACKOFF_S": "0.2",
            "LOANWATCH_JOB_RETRY_MAX_BACKOFF_S": "1",
            "LOANWATCH_JOB_MAX_RETRIES": "60",
            "LOANWATCH_SCHEDULER_INTERVAL_S": "0.5",
            "PYTHONUNBUFFERED": "1",
        })
        return environ

    @property
    def database_url(self) -> str:
        return self.engine.url.render_as_string(hide_password=False)

    def worker(self, *arguments: str, database_url: str | None = None,
               log: str = "worker.log") -> WorkerProcess:
        return WorkerProcess(self.environ(database_url), self.tmp / log, "--jobs-module",
                             "tests.jobs.workload", *arguments)

    def broker(self) -> dramatiq.Broker:
        return build_broker(self.redis.url, JobOptions(broker_url=self.redis.url))

    def done(self) -> int:
        return workload_units(self.engine).get("done", 0)


def workload_units(engine: Engine) -> dict[str, int]:
    """The test workload's units by state (the workers also keep Loanwatch's own periodic
    schedules, such as the notifications' delivery, whose units are not counted here)."""
    with engine.connect() as connection:
        return dict(connection.execute(  # type: ignore[arg-type]
            select(UNIT.c.state, func.count()).where(UNIT.c.actor_name == workload.RECORD)
            .group_by(UNIT.c.state)).all())


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[Stack]:
    with postgres_schema("lw_jobs_faults") as engine:
        migrate(engine)
        reset_effects(engine)
        disable_job_schedules(engine)  # every unit is counted: only the tests' own
        private = PrivateRedis(tmp_path / "redis")
        private.start()
        try:
            yield Stack(engine, private, tmp_path)
        finally:
            private.kill()


def units(count: int, *, sleep_s: float = 0.0, prefix: str = "u") -> list[UnitSpec]:
    now = datetime.now(UTC)
    return [UnitSpec(f"{prefix}{n:03}", workload.RECORD, workload.QUEUE, now,
                     (f"label-{n}", sleep_s)) for n in range(count)]


def assert_each_done_once(stack: Stack, keys: list[str]) -> None:
    assert effects(stack.engine) == dict.fromkeys(keys, 1)
    assert workload_units(stack.engine) == {"done": len(keys)}


def test_a_worker_killed_mid_batch_leaves_every_unit_done_exactly_once(stack: Stack) -> None:
    batch = units(40, sleep_s=0.15)
    add_units(stack.engine, batch, now=datetime.now(UTC))
    worker = stack.worker("--processes", "2", "--threads", "2")
    with running(worker):
        wait_until(lambda: stack.done() >= 8, "the first units to be done")
        worker.kill()
    killed_at = stack.done()
    assert killed_at < 40, "the batch ended before the kill"
    assert max(effects(stack.engine).values()) == 1
    with running(stack.worker("--processes", "2", "--threads", "2", log="restart.log")):
        # the dead workers' messages come back after the 2 s heartbeat window
        wait_until(lambda: stack.done() == 40, "every unit to be done after the restart")
    assert_each_done_once(stack, [spec.key for spec in batch])


def test_redis_killed_and_restarted_with_jobs_queued_loses_none(stack: Stack) -> None:
    batch = units(30, sleep_s=0.1)
    add_units(stack.engine, batch, now=datetime.now(UTC))
    broker = stack.broker()
    Scheduler(stack.engine, broker).run_once()  # all 30 on the queue, no worker yet
    broker.close()
    stack.redis.kill()
    stack.redis.start()  # the same data folder: the append-only file
    with running(stack.worker("--processes", "1", "--threads", "2", "--no-scheduler")) as w:
        wait_until(lambda: stack.done() >= 5, "the first units to be done")
        stack.redis.kill()  # again, with a worker mid-batch
        time.sleep(1)
        stack.redis.start()
        wait_until(lambda: stack.done() == 30, "every unit to be done", timeout_s=90)
        assert w.terminate() == 0  # SIGTERM stops it cleanly
    assert_each_done_once(stack, [spec.key for spec in batch])


def test_the_database_unreachable_for_a_while_retries_then_succeeds(stack: Stack) -> None:
    host, port = "127.0.0.1", make_url(stack.database_url).port or 5432
    proxy = TcpProxy((host, port))
    proxy.restore()
    through_proxy = make_url(stack.database_url).set(port=proxy.port).render_as_string(
        hide_password=False)
    batch = units(20)
    add_units(stack.engine, batch, now=datetime.now(UTC))
    worker = stack.worker("--processes", "1", "--threads", "2", "--no-scheduler",
                          database_url=through_proxy)
    try:
        with running(worker):
            # the worker boots through the proxy (it checks the migrations), then idles
            wait_until(lambda: "Worker process is ready" in worker.output(), "the worker")
            proxy.cut()
            broker = stack.broker()
            Scheduler(stack.engine, broker).run_once()
            broker.close()
            wait_until(lambda: "Retrying message" in worker.output(), "a retry")
            assert effects(stack.engine) == {}  # nothing half-written
            proxy.restore()
            wait_until(lambda: stack.done() == 20, "every unit to be done")
    finally:
        proxy.cut()
    assert_each_done_once(stack, [spec.key for spec in batch])
    assert list_dead_letters(stack.engine, state=None) == []


def test_a_poison_message_is_dead_lettered_and_the_rest_continue(stack: Stack) -> None:
    batch = units(10)
    poison = UnitSpec("poison", workload.RECORD, workload.QUEUE, datetime.now(UTC),
                      ({"not": "text"},))
    add_units(stack.engine, [*batch, poison], now=datetime.now(UTC))
    broker = stack.broker()
    send_message(broker, dramatiq.Message(queue_name=workload.QUEUE, actor_name=workload.RECORD,
                                          args=(), kwargs={"garbage": True}, options={}))
    broker.close()
    with running(stack.worker("--processes", "1", "--threads", "2")):
        wait_until(lambda: stack.done() == 10 and len(list_dead_letters(stack.engine)) == 2,
                   "the good units done and the poison dead-lettered")
    letters = {letter.idempotency_key: letter for letter in list_dead_letters(stack.engine)}
    assert letters["poison"].error_class == "JobPayloadError"
    assert "label must be text" in letters["poison"].error_message
    assert letters["poison"].attempts == 1
    assert "must carry its unit's key" in letters[None].error_message
    assert effects(stack.engine) == {spec.key: 1 for spec in batch}
    assert workload_units(stack.engine) == {"done": 10, "failed": 1}


def test_a_schedule_due_during_an_outage_runs_once_when_the_system_is_back(
        stack: Stack) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    ensure_schedules(stack.engine, [ScheduleSpec(
        name="nightly", actor_name=workload.RECORD, queue_name=workload.QUEUE, interval_s=60,
        first_due_at=now - timedelta(minutes=10), args=("tick", 0))])  # ten ticks missed
    with running(stack.worker("--processes", "1", "--threads", "2")):
        wait_until(lambda: stack.done() == 1, "the missed tick to run")
        time.sleep(2)  # the scheduler looks four more times
    [key] = effects(stack.engine)
    assert key.startswith("nightly@") and effects(stack.engine) == {key: 1}
    assert workload_units(stack.engine) == {"done": 1}
