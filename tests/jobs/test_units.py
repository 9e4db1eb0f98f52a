"""Units of work on both SQL backends: created once, done once, retried only when the
fault is transient, dead-lettered with their error, retried or discarded by a person, and
deleted once done longer ago than the retention."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

import dramatiq
import pytest
from sqlalchemy import Engine

from jobs.actors.housekeeping import HOUSEKEEPING_QUEUE, PURGE_UNITS, RETENTION_DAYS
from jobs.broker import build_broker
from jobs.catalog import load_jobs, load_schedules
from jobs.dead_letters import (
    discard_dead_letter,
    get_dead_letter,
    list_dead_letters,
    retry_dead_letter,
)
from jobs.errors import DeadLetterNotFound, DeadLetterResolved, UnknownUnit
from jobs.in_process import start_in_process_jobs
from jobs.messages import send_message, send_unit
from jobs.options import JobOptions
from jobs.runtime import JobRuntime
from jobs.submit import submit_unit
from jobs.units import (
    UnitSpec,
    add_units,
    get_unit,
    mark_failed,
    purge_done_units,
    unit_transaction,
)
from tests.jobs import workload
from tests.jobs.machinery import FAST, effects, reset_effects, running_worker, settle
from tests.portfolio.databases import database, postgres_engine, sqlite_engine  # noqa: F401

NOW = datetime(2026, 12, 2, 3, 0, tzinfo=UTC)


@pytest.fixture
def engine(database: Engine) -> Engine:  # noqa: F811 - the fixture of tests.portfolio
    reset_effects(database)
    return database


def spec(key: str, *args: Any, actor: str = workload.RECORD) -> UnitSpec:
    return UnitSpec(key=key, actor_name=actor, queue_name=workload.QUEUE, due_at=NOW,
                    args=args)


def test_a_unit_is_created_once(engine: Engine) -> None:
    assert add_units(engine, [spec("u1", "a"), spec("u2", "b")], now=NOW) == 2
    assert add_units(engine, [spec("u1", "changed"), spec("u3", "c")], now=NOW) == 1
    unit = get_unit(engine, "u1")
    assert unit is not None and unit.args == ("a",) and unit.state == "pending"


def test_a_unit_is_done_in_the_transaction_of_its_effect(engine: Engine) -> None:
    add_units(engine, [spec("u1", "a")], now=NOW)
    with pytest.raises(RuntimeError), unit_transaction(engine, "u1", now=NOW) as connection:
        assert connection is not None
        connection.execute(workload.EFFECTS.insert().values(unit_key="u1", label="a"))
        raise RuntimeError("the worker dies before its commit")
    assert effects(engine) == {}
    assert get_unit(engine, "u1").state == "pending"  # type: ignore[union-attr]
    for _ in range(2):  # delivered twice
        with unit_transaction(engine, "u1", now=NOW) as connection:
            if connection is not None:
                connection.execute(workload.EFFECTS.insert().values(unit_key="u1", label="a"))
    assert effects(engine) == {"u1": 1}
    assert get_unit(engine, "u1").state == "done"  # type: ignore[union-attr]
    with pytest.raises(UnknownUnit, match="no unit of work 'nope'"), \
            unit_transaction(engine, "nope", now=NOW):
        pass


def test_a_message_delivered_twice_has_its_effect_once(engine: Engine) -> None:
    add_units(engine, [spec(f"u{n}", f"label-{n}") for n in range(20)], now=NOW)
    with running_worker(engine) as broker:
        for n in range(20):
            unit = get_unit(engine, f"u{n}")
            assert unit is not None
            send_unit(broker, unit)
            send_unit(broker, unit)
        settle(broker, engine)
    assert effects(engine) == {f"u{n}": 1 for n in range(20)}
    assert list_dead_letters(engine) == []


def test_a_transient_fault_is_retried_until_it_passes(engine: Engine) -> None:
    with running_worker(engine) as broker:
        unit, sent = submit_unit(engine, broker, spec("flaky", 2, actor=workload.TRANSIENT),
                                 now=NOW)
        assert sent and unit.state == "enqueued"
        settle(broker, engine)
    assert effects(engine) == {"flaky": 1}
    done = get_unit(engine, "flaky")
    assert done is not None and done.state == "done" and done.attempts == 3


def test_a_poison_message_is_dead_lettered_with_its_error_and_the_rest_continue(
        engine: Engine) -> None:
    add_units(engine, [spec("good-1", "a"), spec("bad", 12345), spec("good-2", "b")], now=NOW)
    with running_worker(engine) as broker:
        for key in ("good-1", "bad", "good-2"):
            send_unit(broker, get_unit(engine, key))  # type: ignore[arg-type]
        # a payload with no unit key at all
        send_message(broker, dramatiq.Message(queue_name=workload.QUEUE,
                                              actor_name=workload.RECORD,
                                              args=({"not": "a key"},), kwargs={}, options={}))
        settle(broker, engine)
    assert effects(engine) == {"good-1": 1, "good-2": 1}
    letters = {letter.idempotency_key: letter for letter in list_dead_letters(engine)}
    assert set(letters) == {"bad", None}
    bad = letters["bad"]
    assert (bad.actor_name, bad.args, bad.error_class) == (workload.RECORD, ("bad", 12345),
                                                          "JobPayloadError")
    assert "label must be text, got 12345" in bad.error_message
    assert bad.attempts == 1  # a validation error is never retried
    assert "must carry its unit's key" in letters[None].error_message
    failed = get_unit(engine, "bad")
    assert failed is not None and failed.state == "failed"
    assert failed.last_error is not None and failed.last_error.startswith("JobPayloadError")


def test_retries_are_spent_then_the_message_is_dead_lettered(engine: Engine) -> None:
    with running_worker(engine) as broker:
        submit_unit(engine, broker, spec("down", 99, actor=workload.TRANSIENT), now=NOW)
        settle(broker, engine)
    [letter] = list_dead_letters(engine)
    assert (letter.error_class, letter.attempts) == ("BackendUnavailable", 6)
    assert get_unit(engine, "down").state == "failed"  # type: ignore[union-attr]


def test_a_dead_letter_is_retried_once_as_the_same_message(engine: Engine) -> None:
    with running_worker(engine) as broker:
        submit_unit(engine, broker, spec("twice", 7, actor=workload.TRANSIENT), now=NOW)
        settle(broker, engine)
        [letter] = list_dead_letters(engine)
        assert letter.attempts == 6  # FAST allows 5 retries
        retried = retry_dead_letter(engine, broker, letter.id, by="cli:tester")
        assert (retried.state, retried.resolved_by) == ("retried", "cli:tester")
        with pytest.raises(DeadLetterResolved, match="was retried already by cli:tester"):
            retry_dead_letter(engine, broker, letter.id, by="cli:tester")
        settle(broker, engine)
    # a fresh retry budget: attempt 7 fails, attempt 8 passes
    assert effects(engine) == {"twice": 1}
    assert get_dead_letter(engine, letter.id).state == "retried"
    unit = get_unit(engine, "twice")
    assert unit is not None and (unit.state, unit.attempts) == ("done", 8)


def test_a_retried_message_that_fails_again_is_dead_again_on_its_row(engine: Engine) -> None:
    with running_worker(engine) as broker:
        submit_unit(engine, broker, spec("bad", 1), now=NOW)
        settle(broker, engine)
        [letter] = list_dead_letters(engine)
        retry_dead_letter(engine, broker, letter.id, by="cli:tester")
        settle(broker, engine)
    [again] = list_dead_letters(engine, state=None)
    assert (again.id, again.message_id, again.state) == (letter.id, letter.message_id, "dead")
    assert again.failed_at >= letter.failed_at and again.resolved_by is None
    assert get_unit(engine, "bad").state == "failed"  # type: ignore[union-attr]


def test_a_dead_letter_is_discarded_by_someone(engine: Engine) -> None:
    with running_worker(engine) as broker:
        submit_unit(engine, broker, spec("bad", 1), now=NOW)
        settle(broker, engine)
    [letter] = list_dead_letters(engine)
    discarded = discard_dead_letter(engine, letter.id, by="cli:tester")
    assert discarded.state == "discarded" and discarded.resolved_at is not None
    assert list_dead_letters(engine) == []
    assert [d.id for d in list_dead_letters(engine, state=None)] == [letter.id]
    assert get_unit(engine, "bad").state == "failed"  # type: ignore[union-attr]
    with pytest.raises(DeadLetterNotFound, match="no dead letter with id 999"):
        discard_dead_letter(engine, 999, by="x")


def test_without_a_broker_a_retry_leaves_the_unit_pending(engine: Engine) -> None:
    with running_worker(engine) as broker:
        submit_unit(engine, broker, spec("bad", 1), now=NOW)
        settle(broker, engine)
    [letter] = list_dead_letters(engine)
    later = NOW + timedelta(hours=1)
    retry_dead_letter(engine, None, letter.id, by="cli:tester", clock=lambda: later)
    unit = get_unit(engine, "bad")
    assert unit is not None and (unit.state, unit.due_at) == ("pending", later)


def test_a_job_past_its_time_limit_is_interrupted_and_dead_lettered(engine: Engine) -> None:
    limited = JobOptions(time_limit_s=0.3, retry_min_backoff_s=0.01, retry_max_backoff_s=0.05)
    with running_worker(engine, limited) as broker:
        submit_unit(engine, broker, spec("slow", "a", 1.5), now=NOW)
        settle(broker, engine)
    [letter] = list_dead_letters(engine)
    assert letter.error_class == "TimeLimitExceeded" and letter.attempts == 1
    assert effects(engine) == {}  # its transaction rolled back
    assert get_unit(engine, "slow").state == "failed"  # type: ignore[union-attr]


def test_a_message_past_its_age_limit_is_dead_lettered_unrun(engine: Engine) -> None:
    add_units(engine, [spec("old", "a")], now=NOW)
    aged = JobOptions(max_age_s=3_600)
    with running_worker(engine, aged) as broker:
        send_message(broker, dramatiq.Message(
            queue_name=workload.QUEUE, actor_name=workload.RECORD, args=("old", "a"),
            kwargs={}, options={"idempotency_key": "old"},
            message_timestamp=int((time.time() - 7_200) * 1000)))
        settle(broker, engine)
    [letter] = list_dead_letters(engine)
    assert "age limit" in letter.error_message and letter.idempotency_key == "old"
    assert effects(engine) == {}
    assert get_unit(engine, "old").state == "failed"  # type: ignore[union-attr]


def test_units_done_before_the_retention_are_purged_the_rest_kept(engine: Engine) -> None:
    add_units(engine, [spec(f"u{i}", i) for i in range(8)], now=NOW - timedelta(days=60))
    for i, days_ago in enumerate((45, 40, 35, 31, 29, 1)):  # u0..u5 done at these ages
        with unit_transaction(engine, f"u{i}", now=NOW - timedelta(days=days_ago)) as done:
            assert done is not None
    with engine.begin() as connection:  # u6 failed for good long ago; u7 never ran
        mark_failed(connection, "u6", "Boom: dead-lettered", now=NOW - timedelta(days=50))
    cutoff = NOW - timedelta(days=30)
    assert purge_done_units(engine, finished_before=cutoff, batch=3) == 4  # in two batches
    assert [u for u in (f"u{i}" for i in range(8)) if get_unit(engine, u) is not None] == [
        "u4", "u5", "u6", "u7"]
    assert purge_done_units(engine, finished_before=cutoff) == 0


def test_the_housekeeping_job_purges_by_the_retention_it_is_given(engine: Engine) -> None:
    add_units(engine, [spec("old"), spec("new")], now=NOW - timedelta(days=60))
    for key, days_ago in (("old", 31), ("new", 29)):
        with unit_transaction(engine, key, now=NOW - timedelta(days=days_ago)):
            pass
    runtime = JobRuntime(engine=engine, broker=build_broker(None, FAST), clock=lambda: NOW,
                         values={RETENTION_DAYS: 30})
    running = start_in_process_jobs(runtime, load_jobs(), (), FAST, scheduler=False)
    try:
        submit_unit(engine, running.broker, UnitSpec(
            key="jobs.purge_units@tick", actor_name=PURGE_UNITS, queue_name=HOUSEKEEPING_QUEUE,
            due_at=NOW, args=(NOW.isoformat(),)), now=NOW)
        running.broker.join(HOUSEKEEPING_QUEUE, timeout=30_000)
    finally:
        running.stop()
    assert getattr(get_unit(engine, "jobs.purge_units@tick"), "state", None) == "done"
    assert get_unit(engine, "old") is None and get_unit(engine, "new") is not None
    assert "jobs.purge_units" in {schedule.name for schedule in load_schedules()}
