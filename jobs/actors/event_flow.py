"""The event flow as a job: an event recorded through the API re-scores its neighbourhood
and follows its serious alerts up (:func:`risk.flow.run.run_flow`).

The unit's key names the recorded entity and the event id (``flow:repayments:EVENT``), so
an event recorded twice (the sender's retry) or a message delivered twice runs the flow
once; every effect of the flow is itself once by its natural key, so the job is not atomic
with its unit (the flow commits step by step, and a rerun after a crash completes it).
The PD rules are left to the scan: a PD's features are measures of the whole graph, so
scoring one event's neighbourhood means scoring the portfolio (minutes on a large book);
the triggered reviews carry the borrowers' PD (:mod:`risk.reviews.basis`). The flow's
settings come from the runtime's ``values`` (:data:`FLOW_VALUES`):
``flow_hops``, ``flow_review_severity``, ``flow_case_severity``, ``flow_case_rules``,
``flow_rules_file``, ``collections_config``, ``review_policy_file``.
"""

from __future__ import annotations

import threading
from datetime import date, datetime
from pathlib import Path
from typing import Any, Final, cast

from jobs.catalog import JobSpec
from jobs.errors import JobPayloadError
from jobs.runtime import JobContext
from jobs.units import UnitSpec
from risk.collections.config import DEFAULT_COLLECTIONS
from risk.collections.config_file import load_collections_config
from risk.errors import ConcurrentRun, RiskError
from risk.flow.events import FlowEvent
from risk.flow.policy import FlowPolicy
from risk.flow.run import run_flow
from risk.reviews.basis import BasisCache, ReviewBasis
from risk.reviews.policy import DEFAULT_POLICY, load_policy
from risk.rules.loader import DEFAULT_RULES_FILE, load_rules

__all__ = ["BASES_MEMO", "CONFLICT_ATTEMPTS", "EVENT_FLOW", "FLOW_QUEUE", "FLOW_VALUES", "JOBS",
           "flow_unit", "flow_unit_key"]

EVENT_FLOW: Final = "event_flow"
#: The runtime memo's key of the review bases the flow keeps (one per date, for an hour).
BASES_MEMO: Final = "event_flow.review_bases"
#: Runs of one flow when another flow writes the same alerts or case at the same moment.
CONFLICT_ATTEMPTS: Final = 3
FLOW_QUEUE: Final = "flow"
#: The runtime values the flow reads (see the module).
FLOW_VALUES: Final = ("flow_hops", "flow_review_severity", "flow_case_severity",
                      "flow_case_rules", "flow_rules_file", "collections_config",
                      "review_policy_file")


def flow_unit_key(entity: str, event_id: str) -> str:
    """The unit key of the flow of event ``event_id`` recorded as ``entity``."""
    return f"flow:{entity}:{event_id.strip()}"


def flow_unit(event: FlowEvent, *, now: datetime) -> UnitSpec:
    """The unit of work that runs the flow of ``event`` now."""
    return UnitSpec(key=flow_unit_key(event.entity, event.event_id), actor_name=EVENT_FLOW,
                    queue_name=FLOW_QUEUE, due_at=now, args=event.as_args())


def _policy(values: Any) -> FlowPolicy:
    rules = values.get("flow_case_rules") or ()
    return FlowPolicy(hops=values.get("flow_hops", 2),
                      review_severity=values.get("flow_review_severity", "high"),
                      case_severity=values.get("flow_case_severity", "high"),
                      case_rules=frozenset(rules))


def event_flow(context: JobContext, *args: Any) -> None:
    """Run the flow of the event the unit names (its key carries the event id)."""
    _, _, event_id = context.key.partition(":")[2].partition(":")
    try:
        event = FlowEvent.from_args(event_id, args)
        policy = _policy(context.runtime.values)
    except RiskError as exc:
        raise JobPayloadError(f"{EVENT_FLOW}: {exc}") from exc
    runtime = context.runtime
    values = runtime.values
    rules = load_rules(Path(values.get("flow_rules_file") or DEFAULT_RULES_FILE))
    collections = values.get("collections_config")
    review_policy = values.get("review_policy_file")
    graph = runtime.graph()
    engine = runtime.engine
    lock, bases = runtime.shared(BASES_MEMO, lambda: (threading.Lock(), BasisCache()))

    def basis(day: date) -> ReviewBasis:
        with lock:  # one thread builds a date's basis; the others wait and share it
            return cast(BasisCache, bases).get(engine, graph, day)

    for attempt in range(1, CONFLICT_ATTEMPTS + 1):
        try:
            run_flow(event, engine=engine, graph=graph, rules=rules, policy=policy,
                     feed=runtime.alert_feed, audit=runtime.audit,
                     collections=DEFAULT_COLLECTIONS if collections is None
                     else load_collections_config(Path(collections)),
                     review_policy=DEFAULT_POLICY if review_policy is None
                     else load_policy(Path(review_policy)),
                     now=runtime.clock, review_basis=basis)
            return
        except ConcurrentRun:
            # Another event's flow wrote the same alerts or case at the same moment: this
            # run stored none of that step, and running again builds on what the other did.
            if attempt == CONFLICT_ATTEMPTS:
                raise


JOBS: Final = (JobSpec(EVENT_FLOW, FLOW_QUEUE, event_flow, atomic=False),)
