"""The reviews and the collections run as jobs, in process (the in-process broker and worker
threads, as ``make demo`` runs them) on a generated portfolio in SQLite: the daily plan
cuts the due loans into batch units, every due loan is reviewed once, a plan or a batch
delivered again changes nothing, the collections run is once per date, and the in-process
jobs of ``loanwatch serve``/``demo`` run both on their own."""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from typer.testing import CliRunner

from auth.audit import AuditTrail
from auth.audit_store import list_records
from graph.stores.embedded import EmbeddedGraphStore
from jobs.actors import collections as collections_jobs
from jobs.actors import reviews as review_jobs
from jobs.broker import build_broker
from jobs.business_dates import JOBS_AS_OF
from jobs.catalog import load_jobs, load_schedules
from jobs.dead_letters import list_dead_letters
from jobs.in_process import InProcessJobs, start_in_process_jobs
from jobs.messages import send_unit
from jobs.runtime import JobRuntime
from jobs.scheduler import Scheduler
from jobs.schedules import ScheduleSpec, ensure_schedules
from jobs.submit import submit_unit
from jobs.units import UNIT, UnitSpec, count_units, get_unit
from loanwatch.cli.demo import with_business_date
from loanwatch.cli.job_wiring import start_jobs_in_process
from loanwatch.cli.main import app
from loanwatch.migrations import migrate
from loanwatch.settings import Settings
from portfolio.collection_strategies import StrategyAssignment
from portfolio.collections import CollectionCase
from portfolio.database import create_sql_engine
from risk.collections.feed import CaseChange, LocalCaseFeed
from tests.audit.trails import trail
from tests.jobs.machinery import FAST
from tests.jobs.reviews_portfolio import (
    AS_OF,
    collection_runs,
    due_loans,
    portfolio_files,
    reviews_per_loan,
    sqlite_copy,
    sqlite_template,
)

__all__ = ["portfolio_files", "sqlite_copy", "sqlite_template"]

BATCH = 40
T0 = datetime(2026, 12, 2, 1, 0, tzinfo=UTC)


def wait_for(condition: Callable[[], bool], what: str, timeout_s: float = 120.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, f"timed out after {timeout_s:g} s: {what}"
        time.sleep(0.05)


@pytest.fixture
def audit(sqlite_copy: Engine) -> Iterator[AuditTrail]:
    with trail(sqlite_copy) as sink:
        yield sink


class HeardCases(LocalCaseFeed):
    """The in-process case feed, keeping each change it announces."""

    def __init__(self) -> None:
        super().__init__()
        self.heard: list[CaseChange] = []

    def publish(self, change: CaseChange) -> None:  # type: ignore[override]
        self.heard.append(change)
        super().publish(change)  # type: ignore[arg-type]


@pytest.fixture
def case_feed() -> HeardCases:
    return HeardCases()


@pytest.fixture
def jobs(sqlite_copy: Engine, audit: AuditTrail, case_feed: HeardCases
         ) -> Iterator[InProcessJobs]:
    """The real job modules on the in-process broker and two worker threads, no scheduler
    thread (the tests look with :class:`Scheduler` themselves)."""
    graph = EmbeddedGraphStore(sqlite_copy)
    broker_options = FAST
    runtime = JobRuntime(engine=sqlite_copy, broker=build_broker(None, broker_options),
                         open_graph=lambda: graph, owns_graph=False, audit=audit,
                         case_feed=case_feed, values={review_jobs.REVIEW_BATCH_SIZE: BATCH,
                                 JOBS_AS_OF: AS_OF.isoformat()})
    running = start_in_process_jobs(runtime, load_jobs(), (), broker_options, scheduler=False)
    try:
        yield running
    finally:
        running.stop()
        graph.close()


def look(jobs: InProcessJobs, engine: Engine) -> None:
    """One scheduler look, then wait until every unit enqueued is done or failed (what the
    look's jobs created stays pending for the next look)."""
    Scheduler(engine, jobs.broker, clock=lambda: datetime.now(UTC)).run_once()
    wait_for(lambda: not count_units(engine).get("enqueued"), "every unit enqueued done")


def plan_unit(tick: datetime) -> UnitSpec:
    return UnitSpec(key=f"reviews.plan@{tick.isoformat()}", actor_name=review_jobs.PLAN_REVIEWS,
                    queue_name=review_jobs.REVIEWS_QUEUE, due_at=T0, args=(tick.isoformat(),))


def test_the_daily_plan_reviews_every_due_loan_once_in_batches(
        sqlite_copy: Engine, jobs: InProcessJobs) -> None:
    due = due_loans(sqlite_copy, AS_OF)
    assert len(due) > 3 * BATCH
    plan = plan_unit(T0)
    submit_unit(sqlite_copy, jobs.broker, plan, now=datetime.now(UTC))
    # The plan runs on its own (submitted, not waiting for a look); no look has run since,
    # so its batches are pending.
    wait_for(lambda: getattr(get_unit(sqlite_copy, plan.key), "state", None) == "done",
             "the plan done")
    batches = math.ceil(len(due) / BATCH)
    assert count_units(sqlite_copy, prefix="reviews@2025-06-30#") == {"pending": batches}
    first = get_unit(sqlite_copy, "reviews@2025-06-30#0000")
    assert first is not None and first.args == ("2025-06-30", due[:BATCH])
    look(jobs, sqlite_copy)  # the scheduler enqueued the batches
    assert count_units(sqlite_copy, prefix="reviews@") == {"done": batches}
    assert reviews_per_loan(sqlite_copy, AS_OF) == dict.fromkeys(due, 1)
    assert due_loans(sqlite_copy, AS_OF) == []  # each got its next review date

    # The same date planned again (another tick, the fixed business date): nothing new.
    submit_unit(sqlite_copy, jobs.broker, plan_unit(T0 + timedelta(days=1)),
                now=datetime.now(UTC))
    look(jobs, sqlite_copy)
    assert count_units(sqlite_copy, prefix="reviews@") == {"done": batches}
    # A batch delivered again, as Redis redelivers after a worker's death: nothing new.
    with sqlite_copy.begin() as connection:
        connection.execute(UNIT.update().where(UNIT.c.key == "reviews@2025-06-30#0001")
                           .values(state="enqueued"))
    unit = get_unit(sqlite_copy, "reviews@2025-06-30#0001")
    assert unit is not None
    send_unit(jobs.broker, unit)
    look(jobs, sqlite_copy)
    assert reviews_per_loan(sqlite_copy, AS_OF) == dict.fromkeys(due, 1)
    assert list_dead_letters(sqlite_copy) == []


def test_a_malformed_batch_is_dead_lettered_with_its_error(
        sqlite_copy: Engine, jobs: InProcessJobs) -> None:
    submit_unit(sqlite_copy, jobs.broker, UnitSpec(
        key="reviews@2025-06-30#9999", actor_name=review_jobs.REVIEW_BATCH,
        queue_name=review_jobs.REVIEWS_QUEUE, due_at=T0, args=("2025-06-30", "L1")),
        now=datetime.now(UTC))
    submit_unit(sqlite_copy, jobs.broker, UnitSpec(
        key="reviews@2025-06-30#9998", actor_name=review_jobs.REVIEW_BATCH,
        queue_name=review_jobs.REVIEWS_QUEUE, due_at=T0, args=("2025-06-30", ["NO-SUCH"])),
        now=datetime.now(UTC))
    look(jobs, sqlite_copy)
    letters = {letter.idempotency_key: letter for letter in list_dead_letters(sqlite_copy)}
    assert letters["reviews@2025-06-30#9999"].error_class == "JobPayloadError"
    assert "loan_ids must be a non-empty list" in letters["reviews@2025-06-30#9999"].error_message
    assert letters["reviews@2025-06-30#9998"].error_class == "UnknownLoan"
    assert reviews_per_loan(sqlite_copy, AS_OF) == {}


def test_the_collections_run_is_once_per_business_date(
        sqlite_copy: Engine, jobs: InProcessJobs, audit: AuditTrail,
        case_feed: HeardCases) -> None:
    for day in (0, 1):  # two daily ticks, one business date
        tick = T0 + timedelta(days=day)
        submit_unit(sqlite_copy, jobs.broker, UnitSpec(
            key=f"collections.daily@{tick.isoformat()}",
            actor_name=collections_jobs.COLLECTIONS_DAY,
            queue_name=collections_jobs.COLLECTIONS_QUEUE, due_at=T0,
            args=(tick.isoformat(),)), now=datetime.now(UTC))
        look(jobs, sqlite_copy)
    assert count_units(sqlite_copy, prefix="collections.daily@") == {"done": 2}
    assert collection_runs(sqlite_copy) == [AS_OF]
    with sqlite_copy.connect() as connection:
        cases = connection.execute(select(func.count()).select_from(
            CollectionCase.__table__)).scalar_one()  # type: ignore[attr-defined]
    assert cases > 0
    audit.flush()
    opened = [r for r in list_records(sqlite_copy, limit=10_000)
              if r.operation.startswith("collections")]
    assert len(opened) >= cases
    # Subscribers heard each case open, once; the strategy step then assigned every case
    # still open a strategy (the second tick changed nothing).
    announced = [c.case_id for c in case_feed.heard if c.event == "opened"]
    assert len(announced) == len(set(announced)) == cases
    with sqlite_copy.connect() as connection:
        live = connection.execute(select(func.count()).select_from(
            CollectionCase.__table__).where(  # type: ignore[attr-defined]
            CollectionCase.closed_on.is_(None))).scalar_one()  # type: ignore[union-attr]
        assigned = connection.execute(select(func.count()).select_from(
            StrategyAssignment.__table__)).scalar_one()  # type: ignore[attr-defined]
    assert assigned == live > 0


@pytest.fixture
def no_loanwatch_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("LOANWATCH_") and not name.startswith("LOANWATCH_TEST_"):
            monkeypatch.delenv(name)


@pytest.mark.usefixtures("no_loanwatch_environment")
def test_the_demo_jobs_run_reviews_and_collections_on_their_own(
        sqlite_copy: Engine, audit: AuditTrail, tmp_path: Path) -> None:
    """What ``loanwatch serve`` and ``loanwatch demo`` start with no broker URL: the
    schedules fire, the plan's batches run, the collections run happens; no command."""
    environ = {"LOANWATCH_DATABASE_URL": sqlite_copy.url.render_as_string(hide_password=False),
               "LOANWATCH_DATA_DIR": str(tmp_path / "data"),
               "LOANWATCH_SCHEDULER_INTERVAL_S": "0.2", "LOANWATCH_REVIEW_BATCH": "100",
               "LOANWATCH_JOBS_AS_OF": AS_OF.isoformat(), "COLUMNS": "200"}
    settings = Settings.from_environ(environ)
    due = due_loans(sqlite_copy, AS_OF)
    graph = EmbeddedGraphStore(sqlite_copy)
    running = start_jobs_in_process(settings, sqlite_copy, graph, audit=audit)
    try:
        wait_for(lambda: len(reviews_per_loan(sqlite_copy, AS_OF)) == len(due)
                 and collection_runs(sqlite_copy) == [AS_OF], "the reviews and the run")
    finally:
        running.stop()
        graph.close()
    assert reviews_per_loan(sqlite_copy, AS_OF) == dict.fromkeys(due, 1)
    runner = CliRunner()
    units = runner.invoke(app, ["jobs", "units", "--prefix", "reviews@"], env=environ)
    assert units.exit_code == 0, units.output
    assert "done" in units.output and str(math.ceil(len(due) / 100)) in units.output
    schedules = runner.invoke(app, ["jobs", "schedules"], env=environ)
    assert schedules.exit_code == 0, schedules.output
    assert "reviews.plan" in schedules.output and "collections.daily" in schedules.output


def test_the_job_modules_keep_a_daily_schedule_each() -> None:
    by_name: dict[str, ScheduleSpec] = {spec.name: spec for spec in load_schedules()}
    assert by_name["reviews.plan"].actor_name == review_jobs.PLAN_REVIEWS
    assert by_name["collections.daily"].actor_name == collections_jobs.COLLECTIONS_DAY
    assert {by_name[name].interval_s for name in ("reviews.plan", "collections.daily")} == {
        86_400}


def test_a_schedule_missed_for_days_fires_one_plan(sqlite_copy: Engine,
                                                   jobs: InProcessJobs) -> None:
    due = due_loans(sqlite_copy, AS_OF)
    ensure_schedules(sqlite_copy, review_jobs.SCHEDULES)
    look(jobs, sqlite_copy)  # ~335 daily ticks since the first: one plan unit
    assert list(count_units(sqlite_copy, prefix="reviews.plan@").values()) == [1]
    look(jobs, sqlite_copy)
    look(jobs, sqlite_copy)
    assert list(count_units(sqlite_copy, prefix="reviews.plan@").values()) == [1]
    assert reviews_per_loan(sqlite_copy, AS_OF) == dict.fromkeys(due, 1)


def test_the_demo_runs_its_jobs_as_of_its_portfolio_date() -> None:
    settings = Settings.from_environ({})
    assert with_business_date(settings, AS_OF).jobs_as_of == AS_OF
    fixed = Settings.from_environ({"LOANWATCH_JOBS_AS_OF": "2025-05-31"})
    assert with_business_date(fixed, AS_OF).jobs_as_of == date(2025, 5, 31)


def test_a_collections_day_before_any_loan_runs_nothing_and_is_done(tmp_path: Path) -> None:
    engine = create_sql_engine(f"sqlite:///{tmp_path / 'empty.db'}")
    migrate(engine)
    runtime = JobRuntime(engine=engine, broker=build_broker(None, FAST), audit=None)
    running = start_in_process_jobs(runtime, load_jobs(), (), FAST, scheduler=False)
    try:
        submit_unit(engine, running.broker, UnitSpec(
            key="collections.daily@empty", actor_name=collections_jobs.COLLECTIONS_DAY,
            queue_name=collections_jobs.COLLECTIONS_QUEUE, due_at=T0,
            args=(T0.isoformat(),)), now=datetime.now(UTC))
        wait_for(lambda: not count_units(engine).get("enqueued"), "the unit to run")
    finally:
        running.stop()
    assert count_units(engine) == {"done": 1}
    assert collection_runs(engine) == [] and list_dead_letters(engine) == []
    engine.dispose()
