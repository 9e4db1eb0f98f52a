"""Reviews on every backend (embedded graph on SQLite and on PostgreSQL, Neo4j): a review's
tier, stage, PD and ECL are the portfolio scan's for the same loan and date; a review is
written once; the schedule says what is due; routing, the reviewer's decision with its
audit entry, triggered reviews, and bad input."""

from __future__ import annotations

from dataclasses import asdict, replace
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from sqlmodel import Session

from auth.audit_store import list_records
from auth.principal import Role
from graph.stores.embedded import EmbeddedGraphStore
from portfolio.reviews import ReviewRecord, ReviewSchedule
from risk.classification.tiers import Tier
from risk.models.dataset import build_dataset
from risk.models.default_definition import DEFAULT
from risk.models.gbm import fit_gbm
from risk.models.registry import promote, register_model
from risk.reviews import (
    DEFAULT_POLICY,
    BasisCache,
    DecisionRefused,
    ReviewBeforeLoan,
    Reviewer,
    ReviewError,
    UnknownLoan,
    decide,
    due_reviews,
    get_review,
    review_basis,
    review_queue,
    run_review,
    run_reviews,
)
from risk.reviews.policy import RoutePolicy
from risk.rules.loader import DEFAULT_RULES_FILE, load_rules
from risk.scan import run_scan
from risk.scan_results import loan_results, party_scores
from seeds.config import PortfolioConfig
from seeds.generate import generate_portfolio
from tests.audit.trails import trail
from tests.ingest.importing import import_files
from tests.portfolio.databases import postgres_engine, sqlite_engine
from tests.risk.rules.stores import Stores, stores

__all__ = ["postgres_engine", "sqlite_engine", "stores"]

AS_OF = date(2025, 6, 30)
TRAINED_ON = date(2024, 6, 30)
T0 = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def portfolio(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("reviews") / "portfolio"
    generate_portfolio(PortfolioConfig(borrowers=1200, seed=5), out)
    return out


def _promote_model(s: Stores) -> str:
    """A gradient-boosting model fitted a year earlier, promoted to production."""
    dataset = build_dataset(s.engine, s.graph, TRAINED_ON)
    assert dataset.label is not None
    model = fit_gbm(dataset.frame, dataset.label.astype(int), seed=0)
    model_id = register_model(
        s.engine, kind="gbm", payload=model.to_bytes(), feature_names=model.feature_names,
        target="default within 12 months",
        training={"as_of": TRAINED_ON.isoformat(), "definition": asdict(DEFAULT),
                  "graph_features": True}, metrics={}, scope="portfolio", code_version="test")
    promote(s.engine, model_id, reason="test", actor="tester")
    return model_id


def _count(engine: Engine, table: type) -> int:
    with Session(engine) as session:
        return int(session.execute(select(func.count()).select_from(table)).scalar_one())


def test_reviews_agree_with_the_scan_and_are_written_once(stores: Stores,
                                                          portfolio: Path) -> None:
    import_files([portfolio], stores.graph, stores.engine)
    model_id = _promote_model(stores)
    due = due_reviews(stores.engine, AS_OF, 100_000)
    loans = [d.loan_id for d in due]
    assert loans and all(d.due_on is None for d in due)  # never reviewed: all due

    # Reviews first: no scan of the date yet, so the basis scores the portfolio itself.
    basis = review_basis(stores.engine, stores.graph, AS_OF)
    assert (basis.pd_source, basis.model_id) == ("scored", model_id)
    reviews = []
    for start in range(0, len(loans), 400):
        reviews += run_reviews(stores.engine, stores.graph, loans[start:start + 400], AS_OF,
                               basis=basis, version="test", now=lambda: T0)
    assert all(r.written for r in reviews)

    outcome = run_scan(stores.engine, stores.graph, AS_OF, rules=load_rules(DEFAULT_RULES_FILE))
    scanned = loan_results(stores.engine, loans, outcome.run_id)
    scores = party_scores(stores.engine, [r.borrower_id for r in reviews], outcome.run_id)
    live = [r for r in reviews if r.tier is not None]
    assert len(live) == len(scanned) > 100  # every loan the scan classified, and only those
    for review in live:
        scan = scanned[review.loan_id]
        assert (review.tier, review.stage, review.ecl, review.exposure, review.currency) == (
            scan.tier, scan.stage, scan.ecl, scan.exposure, scan.currency), review.loan_id
        stored = scores.get(review.borrower_id)
        assert review.pd == (None if stored is None else stored.pd), review.loan_id
        assert review.models["pd_model"] == model_id
    assert sum(r.pd is not None for r in live) > 100
    repaid = [r for r in reviews if r.tier is None]
    assert all(r.status == "closed" and r.next_review is None and r.ecl == 0 for r in repaid)

    # After the scan, a basis of the date reads the PDs the scan stored: the same numbers.
    stored_basis = review_basis(stores.engine, stores.graph, AS_OF)
    assert stored_basis.pd_source == f"scan run {outcome.run_id}"
    borrowers = sorted({r.borrower_id for r in live})[:50]
    assert {p: v.pd for p, v in stored_basis.pd_of(borrowers).items()} == {
        p: v.pd for p, v in basis.pd_of(borrowers).items()}

    # Once: a second run finds every review and writes nothing.
    rows = _count(stores.engine, ReviewRecord)
    again = run_reviews(stores.engine, stores.graph, loans[:300], AS_OF, basis=basis)
    assert not any(r.written for r in again)
    assert [r.id for r in again] == [r.id for r in reviews[:300]]
    assert _count(stores.engine, ReviewRecord) == rows == len(loans)

    # The schedule: nothing due the same day; monthly tiers due a month later, Pass not.
    assert due_reviews(stores.engine, AS_OF) == []
    with Session(stores.engine) as session:
        schedule = {s.loan_id: s for s in session.execute(select(ReviewSchedule)).scalars()}
    by_loan = {r.loan_id: r for r in reviews}
    assert {loan: s.next_review for loan, s in schedule.items()} == {
        r.loan_id: r.next_review for r in reviews}
    month_later = {d.loan_id for d in due_reviews(stores.engine, date(2025, 7, 31), 100_000)}
    assert month_later and all(
        by_loan[loan].tier != "pass" or (by_loan[loan].pd or 0) >= DEFAULT_POLICY.high_pd
        for loan in month_later)
    assert all(by_loan[loan].next_review is not None for loan in month_later)
    substandard = [r for r in live if r.tier == "substandard"]
    assert substandard and {r.loan_id for r in substandard} <= month_later


def test_routing_decisions_and_their_audit_entries(stores: Stores, portfolio: Path) -> None:
    import_files([portfolio], stores.graph, stores.engine)
    loans = [d.loan_id for d in due_reviews(stores.engine, AS_OF, 100_000)]
    # Every borrower's exposure is "large" under this policy: each live review is routed.
    policy = replace(DEFAULT_POLICY, route=RoutePolicy(large_exposure={"CNY": Decimal("0.01")}))
    reviews = run_reviews(stores.engine, stores.graph, loans[:200], AS_OF, policy=policy,
                          actor="paul")
    routed = [r for r in reviews if r.status == "pending"]
    assert routed and all(r.route[0]["rule"] == "large_exposure" for r in routed)
    assert all(r.status == "closed" for r in reviews if r.tier is None)
    queue = review_queue(stores.engine, limit=1000)
    assert [r.id for r in queue] == sorted(r.id for r in routed)
    first, second = queue[0], queue[1]

    audit = trail(stores.engine)
    try:
        with pytest.raises(DecisionRefused, match="a decision needs a reason"):
            decide(stores.engine, first.id, reviewer=Reviewer("ann", Role.MANAGER),
                   reason="  ", audit=audit)
        with pytest.raises(DecisionRefused, match="paul proposed review"):
            decide(stores.engine, first.id, reviewer=Reviewer("paul", Role.MANAGER),
                   reason="fine", audit=audit)
        with pytest.raises(DecisionRefused, match="needs the right review-loans"):
            decide(stores.engine, first.id, reviewer=Reviewer("cole", Role.COLLECTOR),
                   reason="fine", audit=audit)
        confirmed = decide(stores.engine, first.id, reviewer=Reviewer("ann", Role.MANAGER),
                           reason="exposure known and secured", audit=audit, now=lambda: T0)
        with pytest.raises(DecisionRefused, match="is confirmed by ann"):
            decide(stores.engine, first.id, reviewer=Reviewer("bea", Role.MANAGER),
                   reason="again", audit=audit)
        assert second.tier is not None
        worse = "loss" if second.tier != "loss" else "doubtful"
        overridden = decide(stores.engine, second.id, reviewer=Reviewer("bea", Role.ADMIN),
                            override=Tier.from_slug(worse), reason="fraud found on site visit",
                            audit=audit, now=lambda: T0)
        assert audit.flush(10)
    finally:
        audit.close()

    assert (confirmed.status, confirmed.decided_tier, confirmed.decided_by) == (
        "confirmed", first.tier, "ann")
    assert (overridden.status, overridden.decided_tier, overridden.decision_reason) == (
        "overridden", worse, "fraud found on site visit")
    assert overridden.next_review == DEFAULT_POLICY.next_review(AS_OF, Tier.from_slug(worse),
                                                             second.pd)
    with Session(stores.engine) as session:
        held = session.get(ReviewSchedule, second.loan_id)
        assert held is not None and (held.tier, held.next_review) == (worse,
                                                                       overridden.next_review)
    assert get_review(stores.engine, second.id).decided_by == "bea"
    assert [r.id for r in review_queue(stores.engine, limit=1000)] == [
        r.id for r in queue[2:]]
    entries = list_records(stores.engine, action="change")
    decided = {(e.user, e.targets[0], e.detail["decision"], e.detail["reason"])
               for e in entries if e.operation == "reviews decide"}
    assert decided == {("ann", f"review:{first.id}", "confirmed", "exposure known and secured"),
                       ("bea", f"review:{second.id}", "overridden", "fraud found on site visit")}


def test_a_triggered_review_keeps_its_trigger_beside_the_periodic_one(
        stores: Stores, portfolio: Path) -> None:
    import_files([portfolio], stores.graph, stores.engine)
    first = run_reviews(stores.engine, stores.graph,
                        [d.loan_id for d in due_reviews(stores.engine, AS_OF, 60)], AS_OF)
    periodic = next(r for r in first if r.tier is not None)
    loan = periodic.loan_id
    trigger = {"alert": 17, "rule": "dpd-30", "source": "event"}

    triggered = run_review(stores.engine, stores.graph, loan, AS_OF, kind="triggered",
                           trigger=trigger)
    twice = run_review(stores.engine, stores.graph, loan, AS_OF, kind="triggered",
                       trigger=trigger)

    assert triggered.id != periodic.id and (triggered.kind, triggered.trigger) == (
        "triggered", trigger)
    assert (twice.id, twice.written) == (triggered.id, False)
    assert triggered.status == "pending" and triggered.route[-1]["rule"] == "triggered"
    assert (triggered.tier, triggered.stage, triggered.ecl) == (periodic.tier, periodic.stage,
                                                                periodic.ecl)


def test_bad_input_gets_a_clear_error_and_writes_nothing(stores: Stores,
                                                         portfolio: Path) -> None:
    import_files([portfolio], stores.graph, stores.engine)
    loan = due_reviews(stores.engine, AS_OF, 1)[0].loan_id
    disbursed = run_review(stores.engine, stores.graph, loan, AS_OF).inputs["loan"][
        "disbursed_on"]
    rows = _count(stores.engine, ReviewRecord)

    with pytest.raises(UnknownLoan, match="no loan with id L-NOPE"):
        run_reviews(stores.engine, stores.graph, [loan, "L-NOPE"], AS_OF)
    before = date.fromisoformat(disbursed).replace(day=1)
    if before == date.fromisoformat(disbursed):
        before = date(before.year - 1, 1, 1)
    with pytest.raises(ReviewBeforeLoan, match=f"loan {loan} was disbursed on {disbursed}, "
                                               "after the review date"):
        run_review(stores.engine, stores.graph, loan, before)
    with pytest.raises(ReviewError, match="needs its trigger"):
        run_review(stores.engine, stores.graph, loan, AS_OF, kind="triggered")
    with pytest.raises(ReviewError, match="unknown review kind 'yearly'"):
        run_review(stores.engine, stores.graph, loan, AS_OF, kind="yearly")
    with pytest.raises(ReviewError, match="limit must be at least 1"):
        due_reviews(stores.engine, AS_OF, 0)
    assert _count(stores.engine, ReviewRecord) == rows


def test_a_basis_cache_builds_a_date_once_until_it_is_too_old(sqlite_engine: Engine,
                                                              portfolio: Path) -> None:
    graph = EmbeddedGraphStore(sqlite_engine)
    import_files([portfolio], graph, sqlite_engine)
    clock = [0.0]
    cache = BasisCache(max_age_s=60, max_dates=1, clock=lambda: clock[0])

    first = cache.get(sqlite_engine, graph, AS_OF)
    clock[0] = 59
    assert cache.get(sqlite_engine, graph, AS_OF) is first
    clock[0] = 120
    rebuilt = cache.get(sqlite_engine, graph, AS_OF)
    assert rebuilt is not first and rebuilt.as_of == AS_OF
    other = cache.get(sqlite_engine, graph, date(2025, 3, 31))
    assert other.as_of == date(2025, 3, 31)
    assert cache.get(sqlite_engine, graph, AS_OF) is not rebuilt  # one date held: dropped
    with pytest.raises(ReviewError, match="max_age_s > 0"):
        BasisCache(max_age_s=0)
