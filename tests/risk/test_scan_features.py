"""The scan's ``features`` phase: it stores what :func:`risk.network.features.party_features`
computes, exactly, on the hand portfolio and every backend (embedded on SQLite and
PostgreSQL, Neo4j); a failed run leaves the previous run's features readable; revision 0007
adds and removes the tables on both SQL backends."""

from __future__ import annotations

import dataclasses

import pytest
from sqlalchemy import Engine, func, inspect, select
from sqlmodel import Session

from loanwatch.migrations import migrate
from portfolio.scan_features import ScanPartyExposure, ScanPartyFeatures
from portfolio.scan_runs import ScanRun, ScanStatus
from risk.classification.history import RepaymentHistory
from risk.errors import RiskError
from risk.network.features import FeatureParameters, party_features
from risk.rules.loader import DEFAULT_RULES_FILE, RuleSet, load_rules
from risk.scan import DEFAULT_PHASES, Phase, ScanContext, ScanSettings, run_scan
from risk.scan_results import ScanNotFound, top_features_by_pagerank
from risk.scan_results import party_features as stored_features
from tests.portfolio.databases import postgres_engine, sqlite_engine
from tests.risk.classification.books import pay
from tests.risk.network.hand_graph import AS_OF, PARTIES, build_hand_portfolio
from tests.risk.rules.stores import Stores, stores
from tests.unmigrated import downgrade

__all__ = ["postgres_engine", "sqlite_engine", "stores"]

#: The hand portfolio's phone of four users is public at 3 (rings and features alike).
SETTINGS = ScanSettings(ring_public_above=3, feature_betweenness_k=1_000)
PARAMS = FeatureParameters(public_above=3, betweenness_k=1_000)


@pytest.fixture(scope="module")
def rules() -> RuleSet:
    return load_rules(DEFAULT_RULES_FILE)


def _count(engine: Engine, table: type, run_id: int) -> int:
    with Session(engine) as session:
        return int(session.execute(select(func.count()).select_from(table).where(
            table.run_id == run_id)).scalar_one())  # type: ignore[attr-defined]


def _boom(ctx: ScanContext) -> None:
    raise RiskError("the injected phase failed")


def test_the_scan_stores_every_partys_features_as_computed(stores: Stores,
                                                           rules: RuleSet) -> None:
    build_hand_portfolio(stores)
    assert stored_features(stores.engine, PARTIES) == {}  # before any scan

    outcome = run_scan(stores.engine, stores.graph, AS_OF, rules=rules, settings=SETTINGS)

    expected = party_features(stores.graph, RepaymentHistory(stores.engine), as_of=AS_OF,
                              params=PARAMS)
    stored = stored_features(stores.engine, [*PARTIES, "nobody"])
    assert sorted(stored) == PARTIES == expected.party_ids.tolist()
    for party in PARTIES:
        got = stored[party].as_json()
        assert got.pop("scan_run") == outcome.run_id
        assert got == expected.party(party)
    # Exact money per currency, and the hand-computed figures survive the round trip.
    x = stored["X"]
    assert (str(x.exposure["CNY"]), {c: str(v) for c, v in x.exposure_within.items()}) == (
        "300.00", {"CNY": "1600.00", "USD": "500.00"})
    assert (stored["D"].defaulted, stored["E"].delinquent) == (True, True)
    assert stored["F"].distance_to_default == 3 and stored["Q"].distance_to_default is None
    assert stored["Q"].delinquent_share is None and stored["Q"].exposure == {}
    assert (stored["A"].hops, stored["A"].as_of) == (2, AS_OF)
    summary = outcome.summary["features"]
    assert (summary["parties"], summary["defaulted"]) == (len(PARTIES), 1)
    assert "features" in outcome.phases
    top = top_features_by_pagerank(stores.engine, 2)
    assert [f.party_id for f in top] == expected.top_by_pagerank(2)


def test_a_failed_run_leaves_the_previous_runs_features_readable(stores: Stores,
                                                                 rules: RuleSet) -> None:
    build_hand_portfolio(stores)
    good = run_scan(stores.engine, stores.graph, AS_OF, rules=rules, settings=SETTINGS)
    before = stored_features(stores.engine, PARTIES)
    # E pays its arrears: a new run would store E as no longer delinquent.
    pay(stores.engine, "LE", [(AS_OF, 1_100)])

    with pytest.raises(RiskError, match="injected"):
        run_scan(stores.engine, stores.graph, AS_OF, rules=rules, settings=SETTINGS,
                 phases=(*DEFAULT_PHASES, Phase("boom", _boom, "fails after features")))

    with Session(stores.engine) as session:
        failed = session.execute(select(ScanRun).where(ScanRun.id != good.run_id)).scalar_one()
    assert failed.status == ScanStatus.FAILED.value and failed.id is not None
    assert "features" in failed.phases  # it ran, stored, and its rows were deleted
    assert _count(stores.engine, ScanPartyFeatures, failed.id) == 0
    assert _count(stores.engine, ScanPartyExposure, failed.id) == 0
    assert stored_features(stores.engine, PARTIES) == before
    assert before["E"].delinquent is True
    with pytest.raises(ScanNotFound, match="failed"):
        stored_features(stores.engine, ["E"], failed.id)
    # The next good run replaces them whole.
    run_scan(stores.engine, stores.graph, AS_OF, rules=rules, settings=SETTINGS)
    assert stored_features(stores.engine, ["E"])["E"].delinquent is False


def test_retention_deletes_the_features_of_pruned_runs(stores: Stores, rules: RuleSet) -> None:
    build_hand_portfolio(stores)
    keep_one = dataclasses.replace(SETTINGS, retention=1)
    first = run_scan(stores.engine, stores.graph, AS_OF, rules=rules, settings=keep_one)
    assert _count(stores.engine, ScanPartyFeatures, first.run_id) == len(PARTIES)

    second = run_scan(stores.engine, stores.graph, AS_OF, rules=rules, settings=keep_one)

    for table in (ScanPartyFeatures, ScanPartyExposure):
        assert _count(stores.engine, table, first.run_id) == 0
    assert _count(stores.engine, ScanPartyFeatures, second.run_id) == len(PARTIES)
    assert _count(stores.engine, ScanPartyExposure, second.run_id) > 0


FEATURE_TABLES = {"scan_party_features", "scan_party_exposure"}


def test_migration_0007_adds_and_removes_the_feature_tables(unmigrated_database: Engine) -> None:
    migrate(unmigrated_database, "0006")
    assert not FEATURE_TABLES & set(inspect(unmigrated_database).get_table_names())

    migrate(unmigrated_database, "0007")
    tables = set(inspect(unmigrated_database).get_table_names())
    assert tables >= FEATURE_TABLES
    keys = inspect(unmigrated_database).get_pk_constraint("scan_party_exposure")
    assert keys["constrained_columns"] == ["run_id", "party_id", "currency"]

    downgrade(unmigrated_database, "0006")
    assert not FEATURE_TABLES & set(inspect(unmigrated_database).get_table_names())
    assert "scan_run" in set(inspect(unmigrated_database).get_table_names())
