"""The scheduler derives what is due from the database: a missed tick runs once, due units
are enqueued in batches, lost messages are sent again, a failed broker loses nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import redis
from sqlalchemy import Engine

from jobs.broker import build_broker
from jobs.redis_broker import LoanwatchRedisBroker
from jobs.scheduler import Scheduler
from jobs.schedules import ScheduleSpec, ensure_schedules, latest_tick, list_schedules
from jobs.units import UnitSpec, add_units, count_units, get_unit
from tests.jobs import workload
from tests.jobs.machinery import effects, reset_effects, running_worker, settle
from tests.portfolio.databases import database, postgres_engine, sqlite_engine  # noqa: F401

T0 = datetime(2026, 12, 2, 3, 0, tzinfo=UTC)


@pytest.fixture
def engine(database: Engine) -> Engine:  # noqa: F811 - the fixture of tests.portfolio
    reset_effects(database)
    return database


def every_minute(name: str = "tick") -> ScheduleSpec:
    return ScheduleSpec(name=name, actor_name=workload.RECORD, queue_name=workload.QUEUE,
                        interval_s=60, first_due_at=T0, args=("tick", 0))


def test_the_latest_tick_passed() -> None:
    assert latest_tick(T0, 60, T0) == T0
    assert latest_tick(T0, 60, T0 + timedelta(seconds=59)) == T0
    assert latest_tick(T0, 60, T0 + timedelta(minutes=10, seconds=5)) == T0 + timedelta(
        minutes=10)


def test_a_tick_due_during_an_outage_runs_once(engine: Engine) -> None:
    ensure_schedules(engine, [every_minute()])
    back = T0 + timedelta(minutes=10, seconds=5)  # ten ticks missed
    with running_worker(engine) as broker:
        first = Scheduler(engine, broker, clock=lambda: back).run_once()
        again = Scheduler(engine, broker, clock=lambda: back).run_once()
        settle(broker, engine)
    assert (first.fired, first.enqueued, again.fired, again.enqueued) == (1, 1, 0, 0)
    assert effects(engine) == {"tick@2026-12-02T03:10:00Z": 1}
    [schedule] = list_schedules(engine)
    assert schedule.next_due_at == T0 + timedelta(minutes=11)
    assert schedule.last_due_at == T0 + timedelta(minutes=10)
    # a restart keeps the next due time
    ensure_schedules(engine, [every_minute()])
    assert list_schedules(engine)[0].next_due_at == T0 + timedelta(minutes=11)


def test_due_units_are_enqueued_in_batches_and_future_ones_wait(engine: Engine) -> None:
    add_units(engine, [UnitSpec(f"u{n:02}", workload.RECORD, workload.QUEUE, T0, ("x",))
                       for n in range(25)], now=T0)
    add_units(engine, [UnitSpec("later", workload.RECORD, workload.QUEUE,
                                T0 + timedelta(hours=1), ("x",))], now=T0)
    with running_worker(engine) as broker:
        report = Scheduler(engine, broker, batch=10, clock=lambda: T0).run_once()
        broker.join(workload.QUEUE, fail_fast=False)
    assert report.enqueued == 25
    assert effects(engine) == {f"u{n:02}": 1 for n in range(25)}
    assert count_units(engine) == {"done": 25, "pending": 1}


def test_a_unit_whose_message_was_lost_is_enqueued_again(engine: Engine) -> None:
    add_units(engine, [UnitSpec("lost", workload.RECORD, workload.QUEUE, T0, ("x",))], now=T0)
    Scheduler(engine, build_broker(None), clock=lambda: T0).run_once()  # a broker that
    # is gone, with the message
    with running_worker(engine) as broker:
        assert get_unit(engine, "lost").state == "enqueued"  # type: ignore[union-attr]
        soon = Scheduler(engine, broker, stale_after_s=600,
                         clock=lambda: T0 + timedelta(minutes=5)).run_once()
        assert soon.re_enqueued == 0
        late = Scheduler(engine, broker, stale_after_s=600,
                         clock=lambda: T0 + timedelta(minutes=11)).run_once()
        settle(broker, engine)
    assert late.re_enqueued == 1
    assert effects(engine) == {"lost": 1}


def test_when_the_broker_fails_the_units_stay_pending(engine: Engine) -> None:
    add_units(engine, [UnitSpec("u", workload.RECORD, workload.QUEUE, T0, ("x",))], now=T0)
    nowhere = LoanwatchRedisBroker(url="redis://127.0.0.1:1/0")
    with pytest.raises(redis.ConnectionError):
        Scheduler(engine, nowhere, clock=lambda: T0).run_once()
    assert get_unit(engine, "u").state == "pending"  # type: ignore[union-attr]
