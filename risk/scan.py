"""The scan: one versioned pass over the whole portfolio as of a date.

:func:`run_scan` runs the phases of :data:`DEFAULT_PHASES` in order (the portfolio
projection, guarantee circles, corporate groups and their ``CONTROLS`` edges, identity rings,
the risk components, every borrower's PD by the production model, classification and
provisioning, the graph features per party, the graph review flags, the early-warning
rules), then stores everything the run found under a new run id
(``portfolio/scan_runs.py``). Each phase is a :class:`Phase` entry: a name and a function
of the :class:`ScanContext`; adding a phase (the graph features, ``risk/scan_features.py``)
is one entry in :data:`DEFAULT_PHASES`, and
the phase adds its findings to ``ctx.findings`` and its counts to ``ctx.summary``, or
writes its own rows under ``ctx.run_id`` (a failed run deletes them with the rest).

Atomicity, and why a pointer: the run row is written first (status ``running``), the
results are written under its id, and the ``latest`` :class:`portfolio.scan_runs.ScanPointer`
is flipped to it in the last, small transaction, together with the status ``succeeded``.
Readers (:mod:`risk.scan_results`) read only the run the pointer names (or a run asked for
by id that succeeded), so until the flip they keep seeing the previous run whole, and a
run that fails at any point is never seen: its rows are deleted and it is kept as a
``failed`` row with the error, for the record. One transaction around everything would give
the same guarantee on one machine, but would hold a write transaction open through the
whole pass (minutes at a million loans, blocking every other writer on SQLite), and cannot
span the workers of a distributed scan; writing under the run id and flipping a pointer
works the same when many workers write their components' rows and one coordinator flips.

The one write that is not versioned: alerts. They have a lifecycle of their own (open,
acknowledged, ...), deduplicated per rule and subject; the run raises them through
:func:`risk.alerts.lifecycle.raise_alerts` (one transaction of its own) after its results
are stored, and records in ``scan_alert`` which alerts it raised or touched. A failure after
that transaction (only the final flip is left) leaves those alerts raised; the next run
updates them rather than raising them twice. The ``CONTROLS`` edges, derived data in the
graph, are upserted by their phase (idempotent; stale ones marked ``current = false``).

Past one machine: the heavy work splits by connected component of the risk links
(guarantee, ownership, identity ring, supply): no circle, group, ring, contagion path or
related-party rule crosses from one component to another. :func:`risk_components` labels
every party with its component (scipy ``connected_components`` on the union of the party
adjacencies). A later issue spreads the pieces over Dramatiq workers: the coordinator runs
the projection and this partition, writes the ``running`` row, and sends one message per
bundle of components (small components packed together up to a target size in parties,
the giant component alone) naming the run id, the as-of date and the party ids; each worker
runs the per-component phases on the subgraph it reads for those parties and writes its rows
under the run id; the coordinator counts the bundles done (a Redis counter or a table) and
flips the pointer when all have succeeded, or marks the run failed and deletes its rows when
one fails after its retries. Loan-level phases (classification) split by loan ranges as well
since they only need a borrower's own loans. Today every component runs in this process.

Memory: each phase's ``peak_mib`` is the process's resident-set high-water mark during the
phase, reset to the current resident size before it through ``/proc/self/clear_refs``
(Linux), so it includes what earlier phases still hold; where the reset is not possible it
is the process's peak so far.
"""

from __future__ import annotations

import importlib.metadata
import resource
import subprocess
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, Final

import numpy as np
from sqlalchemy import Engine
from sqlmodel import Session

from graph.model import RelType
from graph.store import GraphStore
from portfolio.scan_runs import (
    ScanRun,
    ScanStatus,
)
from risk.alerts.commands import announce_outcomes
from risk.alerts.feed import AlertFeed
from risk.alerts.lifecycle import AlertDraft, RaiseOutcome, raise_alerts
from risk.alerts.run import check_data_on
from risk.classification.assessment import (
    Assessment,
    LoanAssessment,
    assess_book,
    secured_loans,
)
from risk.classification.book import LoanBook, load_book
from risk.classification.config import DEFAULT_CLASSIFICATION
from risk.classification.delinquency import Delinquency, delinquency
from risk.classification.five_tier import borrower_is_retail
from risk.classification.graph_flags import GraphFlags, flag_loans
from risk.classification.history import RepaymentHistory
from risk.classification.overrides import StoredOverrides
from risk.errors import RiskError
from risk.models.scores import PartyScores
from risk.network.circles import CircleOptions, CircleReport, find_circles
from risk.network.features import FeatureParameters, PartyFeatures
from risk.network.groups import (
    GroupReport,
    OwnershipArrays,
    find_groups,
    read_ownership,
    write_control_edges,
)
from risk.network.rings import read_rings
from risk.projection import PortfolioProjection, project_portfolio
from risk.rules.evaluate import evaluate
from risk.rules.inputs import RuleInputs
from risk.rules.loader import RuleSet
from risk.scan_features import features_phase
from risk.scan_partition import Components, risk_components
from risk.scan_scores import scoring_phase
from risk.scan_store import Finding, fail_run, finish_run, store_results

__all__ = [
    "DEFAULT_PHASES",
    "DEFAULT_RETENTION",
    "SUPPLY_KINDS",
    "Components",
    "Finding",
    "Phase",
    "PhaseHook",
    "ScanContext",
    "ScanOutcome",
    "ScanSettings",
    "code_version",
    "risk_components",
    "run_scan",
]

#: Runs kept (the newest succeeded ones; older runs and their rows are deleted).
DEFAULT_RETENTION: Final = 10
#: ``RELATED`` kinds that are supply links (the generator writes both directions).
SUPPLY_KINDS: Final = frozenset({"supplier", "customer"})
_PAGE_BYTES: Final = resource.getpagesize()


@dataclass(frozen=True, slots=True)
class ScanSettings:
    """What shapes a scan besides the data; stored with the run."""

    max_cycle_length: int = CircleOptions().max_cycle_length
    control_threshold: float = 0.5
    control_plurality: float = 0.30
    ring_min_size: int = 3
    ring_public_above: int = 50
    retention: int = DEFAULT_RETENTION
    actor: str = "scan"
    #: The graph features' k hops and betweenness sample (public identifiers: as the rings).
    feature_hops: int = FeatureParameters().hops
    feature_betweenness_k: int = FeatureParameters().betweenness_k

    def __post_init__(self) -> None:
        if self.retention < 1:
            raise RiskError(f"retention must keep at least 1 run, got {self.retention}")


@dataclass(slots=True)
class ScanContext:
    """What the phases share: the stores and date, and what earlier phases produced."""

    engine: Engine
    graph: GraphStore
    as_of: date
    settings: ScanSettings
    rules: RuleSet
    projection: PortfolioProjection | None = None
    book: LoanBook | None = None
    delinquency: Delinquency | None = None
    loans: list[LoanAssessment] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    drafts: list[AlertDraft] = field(default_factory=list)
    outcomes: list[RaiseOutcome] = field(default_factory=list)
    components: Components | None = None
    circles: CircleReport | None = None
    groups: GroupReport | None = None
    #: The ``OWNS`` edges, read once by the first phase that needs them (:func:`_ownership`).
    ownership: OwnershipArrays | None = None
    assessment: Assessment | None = None
    review_flags: GraphFlags | None = None
    summary: dict[str, Any] = field(default_factory=dict)
    run_id: int | None = None  # for phases that write their own rows (``features``)
    features: PartyFeatures | None = None
    #: Every borrower's PD by the production model (``scoring``); ``None`` without one.
    scores: PartyScores | None = None


@dataclass(frozen=True, slots=True)
class Phase:
    """One step of the scan: ``run(ctx)`` reads the stores and ``ctx``, adds to ``ctx``."""

    name: str
    run: Callable[[ScanContext], None]
    description: str


@dataclass(frozen=True, slots=True)
class ScanOutcome:
    """A stored, succeeded run."""

    run_id: int
    as_of: date
    status: str
    phases: dict[str, dict[str, float]]
    summary: dict[str, Any]

    def as_json(self) -> dict[str, Any]:
        return {"run": self.run_id, "as_of": self.as_of.isoformat(), "status": self.status,
                "phases": self.phases, "summary": self.summary}


#: Called with (event, phase name, index, count): event is "start" or "end".
PhaseHook = Callable[[str, str, int, int], None]


# ---- the phases -------------------------------------------------------------------------

def _projection(ctx: ScanContext) -> None:
    ctx.projection = project_portfolio(ctx.graph)
    ctx.summary["parties"] = ctx.projection.n_parties


def _circles(ctx: ScanContext) -> None:
    assert ctx.projection is not None
    report = find_circles(ctx.projection,
                          CircleOptions(max_cycle_length=ctx.settings.max_cycle_length))
    ctx.circles = report
    for c in report.circles:
        ctx.findings.append(Finding(c.kind, list(c.members), {
            "scope": c.scope, "loans": list(c.loans), "exposure": c.exposure,
            "guaranteed": c.guaranteed, "component": c.component,
            "edges": [{"guarantor": e.guarantor, "borrower": e.borrower,
                       "loans": list(e.loans), "amount": e.amount} for e in c.edges]}))
    ctx.summary["co_guarantees"] = len(report.co_guarantees)
    ctx.summary["truncated_components"] = len(report.truncated_components)


def _ownership(ctx: ScanContext) -> OwnershipArrays:
    """The ``OWNS`` edges, read on first use and shared by every phase after it."""
    if ctx.ownership is None:
        ctx.ownership = read_ownership(ctx.graph)
    return ctx.ownership


def _groups(ctx: ScanContext) -> None:
    report = find_groups(ctx.graph, threshold=ctx.settings.control_threshold,
                         plurality=ctx.settings.control_plurality, ownership=_ownership(ctx))
    ctx.groups = report
    for g in report.groups:
        ctx.findings.append(Finding("group", [g.controller, *g.members], {
            "controller": g.controller, "controller_label": str(g.controller_label),
            "companies": g.members, "exposure": g.exposure, "loans": g.loans,
            "guarantors": g.guarantors,
            "control_edges": [{"holder": h, "held": d, "pct": p}
                              for h, d, p in g.control_edges]}))
    ctx.summary["control_cycles"] = len(report.control_cycles)


def _control(ctx: ScanContext) -> None:
    written = write_control_edges(ctx.graph, threshold=ctx.settings.control_threshold,
                                  plurality=ctx.settings.control_plurality,
                                  ownership=_ownership(ctx))
    ctx.summary["control_edges"] = {"current": written.current, "stale": written.stale}


def _rings(ctx: ScanContext) -> None:
    report = read_rings(ctx.graph, ctx.settings.ring_min_size, ctx.settings.ring_public_above,
                        masked=False)
    for ring in report.rings:
        ctx.findings.append(Finding("ring", list(ring.members), {
            "shared": [{"id": s.id, "kind": s.kind} for s in ring.shared]}))
    ctx.summary["public_identifiers"] = len(report.public)


def _components(ctx: ScanContext) -> None:
    assert ctx.projection is not None
    ownership = _ownership(ctx)
    owners = np.asarray(ownership.ids, dtype=object)
    supply_a: list[str] = []
    supply_b: list[str] = []
    for batch in ctx.graph.iter_edges([RelType.RELATED], props=("kind",)):
        for _, source, target, _, (kind,) in batch:
            if kind in SUPPLY_KINDS:
                supply_a.append(source)
                supply_b.append(target)
    ring_a: list[str] = []
    ring_b: list[str] = []
    for found in ctx.findings:
        if found.kind == "ring":  # a star over the members joins them all
            ring_a.extend(found.members[:1] * (len(found.members) - 1))
            ring_b.extend(found.members[1:])
    graph = ctx.projection.party_graph.tocoo()
    parties = ctx.projection.party_ids
    ctx.components = risk_components(parties, [
        (parties[graph.row], parties[graph.col]),
        (owners[ownership.holders], owners[ownership.held]),
        (ring_a, ring_b), (supply_a, supply_b)])
    sizes = ctx.components.sizes
    ctx.summary["components"] = {"count": ctx.components.count,
                                 "largest": int(sizes[0]) if len(sizes) else 0,
                                 "singletons": int(np.count_nonzero(sizes == 1))}


def _classification(ctx: ScanContext) -> None:
    book = load_book(ctx.engine, ctx.as_of)
    ids = book.loan_ids.tolist()
    retail = borrower_is_retail(
        ctx.graph, book.borrower_ids.tolist(),
        unknown_retail=DEFAULT_CLASSIFICATION.unknown_borrower_retail)
    dq = delinquency(book)
    overrides = StoredOverrides(ctx.engine).overrides_for(ids, ctx.as_of)
    # The PD now of IFRS 9: the borrower's PD by the production model where it scored it
    # (NaN elsewhere: the tier table's PD), so the SICR test and the ECL read the model.
    pd_now = None if ctx.scores is None else ctx.scores.pd_of(book.borrower_ids)
    result = assess_book(book, dq, retail, secured_loans(ctx.graph, ids), overrides=overrides,
                         pd_now=pd_now,
                         pd_model=None if ctx.scores is None else ctx.scores.model_id)
    ctx.assessment = result
    ctx.book, ctx.delinquency, ctx.loans = book, dq, result.loans
    ctx.summary["loans"] = len(result.loans)
    ctx.summary["by_tier"] = result.summary.get("by_tier", {})
    ctx.summary["by_stage"] = result.summary.get("by_stage", {})


def _rules(ctx: ScanContext) -> None:
    """The early-warning rules, on what the earlier phases read: the repayment history of
    the classification, the projection, the ownership edges, the circles and groups."""
    history = RepaymentHistory(ctx.engine) if ctx.book is None or ctx.delinquency is None \
        else RepaymentHistory.seeded(ctx.engine, ctx.as_of, ctx.book, ctx.delinquency)
    inputs = RuleInputs(ctx.graph, projection_given=ctx.projection,
                        ownership_given=_ownership(ctx), circles_given=ctx.circles,
                        groups_given=None if ctx.groups is None else ctx.groups.groups)
    found = evaluate(ctx.rules.rules, as_of=ctx.as_of, graph=ctx.graph, engine=ctx.engine,
                     delinquency=history, inputs=inputs, scores=ctx.scores)
    ctx.drafts = list(found.drafts)
    ctx.summary["rules"] = {"file": ctx.rules.file, "evaluated": found.evaluated,
                            "skipped": [s.rule_id for s in found.skipped],
                            "seconds": found.seconds}


def _review_flags(ctx: ScanContext) -> None:
    """Flag loans whose guarantor, controlling owner or circle partner is non-performing,
    from the tiers just computed and the projection and circles already read."""
    assert ctx.assessment is not None and ctx.projection is not None
    assert ctx.circles is not None
    flags = flag_loans(ctx.assessment, ctx.projection, _ownership(ctx), ctx.circles,
                       threshold=ctx.settings.control_threshold,
                       plurality=ctx.settings.control_plurality)
    ctx.review_flags = flags
    ctx.summary["review_flags"] = flags.summary


#: The phases of a scan, in order. Graph features (``risk/scan_features.py``) follow the
#: classification, whose delinquency they reuse.
DEFAULT_PHASES: Final[tuple[Phase, ...]] = (
    Phase("projection", _projection, "reading the guarantee graph into arrays"),
    Phase("circles", _circles, "guarantee circles, mutual and joint guarantees"),
    Phase("groups", _groups, "corporate groups and ultimate control"),
    Phase("control", _control, "writing the CONTROLS edges"),
    Phase("rings", _rings, "identity rings"),
    Phase("components", _components, "connected components of the risk links"),
    Phase("scoring", scoring_phase, "PD and reason codes of every borrower, by the "
          "production model"),
    Phase("classification", _classification, "five tiers, IFRS 9 stages, ECL"),
    Phase("features", features_phase, "graph features per party, stored"),
    Phase("review_flags", _review_flags, "flags from non-performing guarantors, owners, "
          "circle partners"),
    Phase("rules", _rules, "early-warning rules"),
)


# ---- measuring --------------------------------------------------------------------------

def _reset_peak() -> bool:
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def _peak_mib() -> float:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass  # not Linux: the process's peak so far, below
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def code_version() -> str:
    """The installed package version, and ``git describe`` of the checkout when there is one
    (``0.1.0+g1a2b3c4-dirty``)."""
    try:
        version = importlib.metadata.version("loanwatch")
    except importlib.metadata.PackageNotFoundError:
        version = "unknown"
    try:
        described = subprocess.run(
            ["git", "describe", "--always", "--dirty"], cwd=Path(__file__).parent,
            capture_output=True, text=True, timeout=5, check=False)
    except (OSError, subprocess.SubprocessError):
        return version
    text = described.stdout.strip()
    return f"{version}+{text}" if described.returncode == 0 and text else version


# ---- the run ----------------------------------------------------------------------------

def run_scan(engine: Engine, graph: GraphStore, as_of: date, *, rules: RuleSet,
             settings: ScanSettings | None = None,
             phases: Sequence[Phase] = DEFAULT_PHASES,
             on_phase: PhaseHook | None = None,
             version: str | None = None,
             now: Callable[[], datetime] | None = None,
             feed: AlertFeed | None = None) -> ScanOutcome:
    """Run ``phases`` over the portfolio as of ``as_of`` and store the results as one run;
    the alerts it raised, updated or escalated are then announced on ``feed``.

    Raises:
        NoDataAsOf: no loan was disbursed on or before ``as_of`` (nothing is stored).
        LoanwatchError, or whatever a phase raises: the run is marked ``failed`` with the
            error, its rows are deleted, and the ``latest`` pointer is left where it was.
    """
    settings = settings or ScanSettings()
    clock = now or (lambda: datetime.now(UTC))
    check_data_on(engine, as_of)
    with Session(engine, expire_on_commit=False) as session, session.begin():
        run = ScanRun(as_of=as_of, started_at=clock(), status=ScanStatus.RUNNING.value,
                      code_version=(version or code_version())[:128],
                      settings={**asdict(settings), "rules_file": rules.file,
                                "phases": [p.name for p in phases]},
                      phases={}, summary={})
        session.add(run)
        session.flush()
        assert run.id is not None
        run_id = run.id
    ctx = ScanContext(engine=engine, graph=graph, as_of=as_of, settings=settings, rules=rules,
                      run_id=run_id)
    timings: dict[str, dict[str, float]] = {}
    steps = [*phases,
             Phase("store", lambda c: store_results(engine, run_id, c.loans, c.findings,
                                                 c.review_flags), "storing the results"),
             Phase("alerts", _raise, "raising the alerts")]
    try:
        for index, phase in enumerate(steps):
            if on_phase:
                on_phase("start", phase.name, index, len(steps))
            _reset_peak()
            started = time.perf_counter()
            phase.run(ctx)
            timings[phase.name] = {"seconds": round(time.perf_counter() - started, 3),
                                   "peak_mib": round(_peak_mib(), 1)}
            if on_phase:
                on_phase("end", phase.name, index, len(steps))
        summary = _summary(ctx)
        finish_run(engine, run_id, timings, summary, ctx.outcomes, settings.retention,
                   clock())
    except BaseException as exc:
        fail_run(engine, run_id, timings, exc, clock())
        raise
    if feed is not None:
        announce_outcomes(engine, feed, ctx.outcomes)
    return ScanOutcome(run_id=run_id, as_of=as_of, status=ScanStatus.SUCCEEDED.value,
                       phases=timings, summary=summary)


def _summary(ctx: ScanContext) -> dict[str, Any]:
    findings: dict[str, int] = {}
    for found in ctx.findings:
        findings[found.kind] = findings.get(found.kind, 0) + 1
    alerts: dict[str, int] = {}
    for outcome in ctx.outcomes:
        alerts[outcome.outcome] = alerts.get(outcome.outcome, 0) + 1
    return {**ctx.summary, "findings": dict(sorted(findings.items())), "alerts": alerts}


def _raise(ctx: ScanContext) -> None:
    """The run's alerts, through the alert lifecycle (one transaction of its own)."""
    ctx.outcomes = raise_alerts(ctx.engine, ctx.drafts, actor=ctx.settings.actor)
