"""Faults on the reviews themselves, against a private Redis (append-only), PostgreSQL and
real ``loanwatch worker`` processes on a generated portfolio: a worker killed with SIGKILL
in the middle of the review batches, and the daily plan due during a long outage. Every
time, each loan due is reviewed exactly once (rows counted against the due loans)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from jobs.actors import reviews as review_jobs
from jobs.dead_letters import list_dead_letters
from jobs.schedules import latest_tick
from jobs.units import UnitSpec, add_units, count_units
from tests.jobs.machinery import disable_job_schedules
from tests.jobs.processes import PrivateRedis, WorkerProcess, running, wait_until
from tests.jobs.reviews_portfolio import (
    AS_OF,
    collection_runs,
    due_loans,
    import_into,
    portfolio_files,
    reviews_per_loan,
)
from tests.jobs.test_faults import Stack
from tests.services import postgres_schema

__all__ = ["portfolio_files"]

pytestmark = [pytest.mark.redis, pytest.mark.postgres]

BATCH = "20"


@dataclass
class ReviewStack(Stack):
    def review_worker(self, *arguments: str, log: str = "worker.log",
                      **values: str) -> WorkerProcess:
        environ = self.environ()
        environ.update({"LOANWATCH_REVIEW_BATCH": BATCH, **values})
        return WorkerProcess(environ, self.tmp / log, *arguments)

    def units_done(self, prefix: str) -> int:
        return count_units(self.engine, prefix=prefix).get("done", 0)


@pytest.fixture(scope="module")
def imported(portfolio_files: Path) -> Iterator[Engine]:
    """The portfolio imported once into a PostgreSQL schema (records and embedded graph)."""
    with postgres_schema("lw_review_faults") as engine:
        import_into(engine, portfolio_files)
        yield engine


@pytest.fixture
def stack(imported: Engine, tmp_path: Path) -> Iterator[ReviewStack]:
    private = PrivateRedis(tmp_path / "redis")
    private.start()
    try:
        yield ReviewStack(imported, private, tmp_path)
    finally:
        private.kill()
        _forget_jobs_and_reviews(imported)


def _forget_jobs_and_reviews(engine: Engine) -> None:
    """Back to the imported portfolio: no units, schedules, dead letters, reviews, runs."""
    tables = ("job_unit", "job_schedule", "job_dead_letter", "review", "review_schedule",
              "collection_case_event", "collection_case", "bucket_move", "collection_run")
    with engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))


def test_a_worker_killed_mid_batch_leaves_every_due_review_done_exactly_once(
        stack: ReviewStack) -> None:
    due = due_loans(stack.engine, AS_OF)
    batches = -(-len(due) // int(BATCH))
    assert batches >= 10
    disable_job_schedules(stack.engine)  # only this plan runs, not today's collections
    add_units(stack.engine, [UnitSpec(
        key="reviews.plan@test", actor_name=review_jobs.PLAN_REVIEWS,
        queue_name=review_jobs.REVIEWS_QUEUE, due_at=datetime.now(UTC),
        args=("2026-12-02T01:00:00+00:00",))], now=datetime.now(UTC))
    as_of = {"LOANWATCH_JOBS_AS_OF": AS_OF.isoformat()}
    worker = stack.review_worker("--processes", "2", "--threads", "1", **as_of)
    with running(worker):
        wait_until(lambda: stack.units_done("reviews@") >= 3, "the first batches to be done",
                   timeout_s=180)
        worker.kill()  # SIGKILL, mid-batch: the other process was reviewing its own
    done_at_kill = stack.units_done("reviews@")
    assert done_at_kill < batches, "every batch ended before the kill"
    assert set(reviews_per_loan(stack.engine, AS_OF).values()) == {1}
    restarted = stack.review_worker("--processes", "2", "--threads", "1", log="restart.log",
                                    **as_of)
    with running(restarted):
        # the dead workers' messages come back after the 2 s heartbeat window
        wait_until(lambda: stack.units_done("reviews@") == batches,
                   "every batch to be done after the restart", timeout_s=240)
    assert reviews_per_loan(stack.engine, AS_OF) == dict.fromkeys(due, 1)
    assert count_units(stack.engine, prefix="reviews@") == {"done": batches}
    assert list_dead_letters(stack.engine) == []


def test_reviews_due_during_an_outage_run_once_when_the_system_is_back(
        stack: ReviewStack) -> None:
    """The schedules were last kept on 2026-01-01: some 335 daily ticks missed. The worker's
    scheduler fires the plan and the collections run once, for the latest tick, and the
    reviews due all that while run once, as of that tick's date."""
    now = datetime.now(UTC)
    tick_day = latest_tick(review_jobs.PLAN_AT, review_jobs.DAY_S, now).date()
    due = due_loans(stack.engine, tick_day)
    worker = stack.review_worker("--processes", "1", "--threads", "2")
    with running(worker):
        wait_until(lambda: stack.units_done("reviews.plan@") == 1
                   and not count_units(stack.engine).get("pending")
                   and not count_units(stack.engine).get("enqueued"),
                   "the plan and its batches to be done", timeout_s=240)
        wait_until(lambda: collection_runs(stack.engine) != [], "the collections run")
        time.sleep(2)  # the scheduler looks four more times
    assert count_units(stack.engine, prefix="reviews.plan@") == {"done": 1}
    assert count_units(stack.engine, prefix="collections.daily@") == {"done": 1}
    assert reviews_per_loan(stack.engine, tick_day) == dict.fromkeys(due, 1)
    assert collection_runs(stack.engine) == [tick_day]
    assert list_dead_letters(stack.engine) == []
