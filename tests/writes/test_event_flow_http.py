"""An event recorded over HTTP starts its flow: the API submits the unit after the record's
commit, the in-process jobs (as ``loanwatch serve`` runs them without a broker URL) re-score
the neighbourhood, and the guarantor's network alert opens a triggered review and a case;
the sender's retry of the same event starts nothing more."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import dramatiq
from sqlalchemy import func, select

from auth.principal import Role
from graph.stores.embedded import EmbeddedGraphStore
from jobs.actors.event_flow import FLOW_QUEUE, JOBS
from jobs.broker import build_broker
from jobs.catalog import declare_jobs
from jobs.event_submission import EventFlowSubmitter
from jobs.runtime import JobRuntime
from jobs.units import UNIT
from loanwatch.migrations import migrate
from loanwatch.settings import Settings
from portfolio.alert_follow_ups import AlertFollowUp
from portfolio.database import create_sql_engine
from risk.alerts.feed import LocalAlertFeed
from risk.collections.cases import get_case
from tests.api.apps import api_app, auth_header
from tests.api.client import ApiClient
from tests.ingest.importing import import_files
from tests.risk.flow.network import EVENT_DAY, write_network

PAY = """mutation Pay($input: RecordRepaymentInput!) {
  recordRepayment(input: $input) { __typename ... on RepaymentRecorded { replayed } } }"""


def test_a_repayment_recorded_over_http_opens_the_review_and_the_case(tmp_path: Path) -> None:
    engine = create_sql_engine(f"sqlite:///{tmp_path / 'lw.db'}")
    migrate(engine)
    graph = EmbeddedGraphStore(engine)
    import_files([write_network(tmp_path / "network")], graph, engine)
    broker = build_broker(None)
    feed = LocalAlertFeed()
    runtime = JobRuntime(engine=engine, broker=broker, open_graph=lambda: graph,
                         owns_graph=False, alert_feed=feed,
                         clock=lambda: datetime(2026, 12, 2, 9, tzinfo=UTC))
    declare_jobs(broker, JOBS, lambda: runtime)
    worker = dramatiq.Worker(broker, worker_threads=1, worker_timeout=50)
    worker.start()
    settings = Settings.from_environ({"LOANWATCH_IDENTIFIER_KEY": "k" * 32})
    client = ApiClient(api_app(settings, graph, engine, alert_feed=feed,
                               event_flow=EventFlowSubmitter(engine, broker)),
                       headers=auth_header(Role.INTEGRATION))
    pay = {"eventId": "bank-77", "id": "R-77", "loanId": "L1", "paidOn": EVENT_DAY,
           "amount": "100.00"}
    try:
        first = client.post("/graphql", json={"query": PAY, "variables": {"input": pay}})
        again = client.post("/graphql", json={"query": PAY, "variables": {"input": pay}})
        broker.join(FLOW_QUEUE, timeout=60_000)
    finally:
        worker.stop()

    assert first.json() == {"data": {"recordRepayment": {"__typename": "RepaymentRecorded",
                                                         "replayed": False}}}
    assert again.json()["data"]["recordRepayment"]["replayed"] is True
    with engine.connect() as connection:
        units = connection.execute(select(UNIT.c.key, UNIT.c.state)).all()
        follow_ups = connection.execute(select(func.count()).select_from(
            AlertFollowUp.__table__)).scalar_one()  # type: ignore[attr-defined]
    assert [tuple(u) for u in units] == [("flow:repayments:bank-77", "done")]
    assert follow_ups == 2
    case = get_case(engine, "L2@2025-01-15")
    assert [(t.rule_id, t.event_id) for t in case.triggers] == [("related-default-2", "bank-77")]
