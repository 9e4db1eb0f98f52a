"""The scan: one versioned run over a generated portfolio, on every backend; the latest
pointer moves only when a run stored everything; a failed run leaves nothing readable."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import orjson
import pytest
from sqlalchemy import Engine, func, inspect, select
from sqlmodel import Session

from graph.stores.embedded import EmbeddedGraphStore
from loanwatch.migrations import migrate
from portfolio.alerts import Alert
from portfolio.database import create_sql_engine
from portfolio.scan_runs import (
    ScanAlert,
    ScanFinding,
    ScanFindingMember,
    ScanLoanResult,
    ScanRun,
    ScanStatus,
)
from risk.classification.assessment import assess
from risk.classification.graph_flags import graph_flags
from risk.errors import NoDataAsOf, RiskError
from risk.rules.loader import DEFAULT_RULES_FILE, RuleSet, load_rules
from risk.scan import (
    DEFAULT_PHASES,
    Finding,
    Phase,
    ScanContext,
    ScanSettings,
    risk_components,
    run_scan,
)
from risk.scan_results import (
    ScanNotFound,
    latest_run,
    loan_result,
    party_findings,
    run_alert_ids,
    run_summary,
)
from seeds.config import PortfolioConfig
from seeds.generate import generate_portfolio
from tests.command_line import run_loanwatch as _cli
from tests.ingest.importing import import_files
from tests.portfolio.databases import postgres_engine, sqlite_engine
from tests.risk.rules.stores import Stores, empty_database, stores
from tests.unmigrated import downgrade

__all__ = ["postgres_engine", "sqlite_engine", "stores"]

AS_OF = date(2025, 6, 30)


@pytest.fixture(scope="module")
def portfolio(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    """A small generated portfolio (300 borrowers) and its ground truth."""
    out = tmp_path_factory.mktemp("scan") / "portfolio"
    generate_portfolio(PortfolioConfig(borrowers=300, seed=3), out)
    return out, orjson.loads((out / "ground_truth" / "ground_truth.json").read_bytes())


@pytest.fixture(scope="module")
def rules() -> RuleSet:
    return load_rules(DEFAULT_RULES_FILE)


@pytest.fixture(params=["embedded-sqlite",
                        pytest.param("embedded-postgres", marks=pytest.mark.postgres)])
def embedded(request: pytest.FixtureRequest) -> Iterator[Stores]:
    """The embedded graph on SQLite, then on the real PostgreSQL, each empty."""
    if request.param == "embedded-postgres":
        engine: Engine = request.getfixturevalue("postgres_engine")
        empty_database(engine)
    else:
        engine = request.getfixturevalue("sqlite_engine")
    yield Stores(engine, EmbeddedGraphStore(engine))


def _count(engine: Engine, table: type, run_id: int | None = None) -> int:
    query = select(func.count()).select_from(table)
    if run_id is not None:
        query = query.where(table.run_id == run_id)  # type: ignore[attr-defined]
    with Session(engine) as session:
        return int(session.execute(query).scalar_one())


def _boom(ctx: ScanContext) -> None:
    raise RiskError("the injected phase failed")


def _unstorable(ctx: ScanContext) -> None:
    # A finding whose evidence is not JSON: the store transaction fails after the loan
    # results went in, so they must be rolled back.
    ctx.findings.append(Finding("ring", ["P00000001"], {"bad": object()}))


def test_a_scan_stores_a_succeeded_run_with_loan_results_and_findings(
        stores: Stores, portfolio: tuple[Path, dict], rules: RuleSet) -> None:
    out, truth = portfolio
    import_files([out], stores.graph, stores.engine)

    outcome = run_scan(stores.engine, stores.graph, AS_OF, rules=rules, version="test")

    run = latest_run(stores.engine)
    assert run is not None and run.id == outcome.run_id
    assert (run.status, run.as_of, run.code_version) == ("succeeded", AS_OF, "test")
    assert list(run.phases) == [p.name for p in DEFAULT_PHASES] + ["store", "alerts"]
    assert all(f["seconds"] >= 0 and f["peak_mib"] > 0 for f in run.phases.values())
    # Every loan's result is the classifier's, exact.
    expected = assess(stores.engine, stores.graph, AS_OF)
    assert run.summary["loans"] == len(expected.loans) == _count(
        stores.engine, ScanLoanResult, run.id)
    for loan in expected.loans[:25]:
        got = loan_result(stores.engine, loan.loan_id)
        assert got is not None
        assert (got.tier, got.stage, got.dpd, got.currency, got.exposure, got.ecl) == (
            loan.tier.slug, loan.stage, loan.days_past_due, loan.currency, loan.exposure,
            loan.ecl)
        assert got.reasons == [reason.as_json() for reason in loan.reasons]
    # The graph review flags are those of the classifier's own flagging, path included.
    flags = graph_flags(expected, stores.graph)
    flagged = sorted(flags.flags)
    assert run.summary["review_flags"]["loans_flagged"] == len(flagged)
    for loan_id in flagged[:10]:
        stored = loan_result(stores.engine, loan_id)
        assert stored is not None
        assert [(f["kind"], f["party"]) for f in stored.review_flags] == [
            (f.kind, f.party) for f in flags.of(loan_id)]
        assert all(f["path"] for f in stored.review_flags)
    # The planted structures are findings of their members.
    for pair in truth["mutual_pairs"]:
        kinds = {(f.kind, tuple(f.members)) for f in party_findings(stores.engine, pair[0])}
        assert ("mutual", tuple(sorted(pair))) in kinds
    for ring in truth["identity_rings"]:
        found = [f for f in party_findings(stores.engine, ring["members"][0])
                 if f.kind == "ring"]
        assert sorted(ring["members"]) in [f.members for f in found]
        assert found[0].evidence["shared"]
    # The run points at the alerts it raised, and they are stored.
    alerts = run_alert_ids(stores.engine)
    assert alerts and set(alerts.values()) == {"raised"}
    assert _count(stores.engine, Alert) == len(alerts)
    assert loan_result(stores.engine, "NO-SUCH-LOAN") is None


def test_a_second_scan_is_a_second_run_and_latest_moves(
        embedded: Stores, portfolio: tuple[Path, dict], rules: RuleSet) -> None:
    import_files([portfolio[0]], embedded.graph, embedded.engine)
    first = run_scan(embedded.engine, embedded.graph, AS_OF, rules=rules)

    second = run_scan(embedded.engine, embedded.graph, date(2025, 3, 31), rules=rules)

    assert second.run_id > first.run_id
    latest = latest_run(embedded.engine)
    assert latest is not None and (latest.id, latest.as_of) == (second.run_id,
                                                                 date(2025, 3, 31))
    assert run_summary(embedded.engine, first.run_id).latest is False
    loan = next(iter(_loan_ids(embedded.engine, first.run_id)))
    result = loan_result(embedded.engine, loan)
    assert result is not None and result.run_id == second.run_id
    older = loan_result(embedded.engine, loan, run_id=first.run_id)
    assert older is not None and older.run_id == first.run_id
    # Each run points at its own alerts; an alert found by both is stored once.
    both = set(run_alert_ids(embedded.engine)) | set(run_alert_ids(embedded.engine,
                                                                   first.run_id))
    assert run_alert_ids(embedded.engine) and _count(embedded.engine, Alert) == len(both)


def _loan_ids(engine: Engine, run_id: int) -> list[str]:
    with Session(engine) as session:
        return list(session.execute(select(ScanLoanResult.loan_id).where(
            ScanLoanResult.run_id == run_id).order_by(ScanLoanResult.loan_id)).scalars())


@pytest.mark.parametrize("failing", [
    Phase("boom", _boom, "a phase that raises"),
    Phase("unstorable", _unstorable, "a finding the store cannot write"),
], ids=["phase-raises", "store-fails"])
def test_a_failed_scan_leaves_the_previous_run_latest_and_nothing_readable(
        embedded: Stores, portfolio: tuple[Path, dict], rules: RuleSet,
        failing: Phase) -> None:
    import_files([portfolio[0]], embedded.graph, embedded.engine)
    good = run_scan(embedded.engine, embedded.graph, AS_OF, rules=rules)
    alerts_before = _count(embedded.engine, Alert)
    party = _finding_members(embedded.engine, good.run_id)[0]
    before = party_findings(embedded.engine, party)

    with pytest.raises(Exception) as caught:
        run_scan(embedded.engine, embedded.graph, AS_OF, rules=rules,
                 phases=(*DEFAULT_PHASES, failing))

    latest = latest_run(embedded.engine)
    assert latest is not None and latest.id == good.run_id
    with Session(embedded.engine) as session:
        failed = session.execute(select(ScanRun).where(ScanRun.id != good.run_id)).scalar_one()
    assert failed.status == ScanStatus.FAILED.value
    assert failed.error is not None and type(caught.value).__name__ in failed.error
    assert failed.id is not None
    for table in (ScanLoanResult, ScanFinding, ScanFindingMember, ScanAlert):
        assert _count(embedded.engine, table, failed.id) == 0
    with pytest.raises(ScanNotFound, match="failed"):
        loan_result(embedded.engine, "L000000007", run_id=failed.id)
    with pytest.raises(ScanNotFound, match="failed"):
        party_findings(embedded.engine, party, run_id=failed.id)
    assert party_findings(embedded.engine, party) == before
    assert _count(embedded.engine, Alert) == alerts_before  # failed before raising


def _finding_members(engine: Engine, run_id: int) -> list[str]:
    with Session(engine) as session:
        return list(session.execute(select(ScanFindingMember.party_id).where(
            ScanFindingMember.run_id == run_id).order_by(ScanFindingMember.party_id)).scalars())


def test_an_as_of_date_before_any_data_is_refused_and_stores_nothing(
        embedded: Stores, portfolio: tuple[Path, dict], rules: RuleSet) -> None:
    import_files([portfolio[0]], embedded.graph, embedded.engine)

    with pytest.raises(NoDataAsOf, match="before any data"):
        run_scan(embedded.engine, embedded.graph, date(2001, 1, 1), rules=rules)

    assert _count(embedded.engine, ScanRun) == 0
    assert latest_run(embedded.engine) is None


def test_retention_keeps_the_newest_runs(embedded: Stores, portfolio: tuple[Path, dict],
                                         rules: RuleSet) -> None:
    import_files([portfolio[0]], embedded.graph, embedded.engine)
    keep_one = ScanSettings(retention=1)
    first = run_scan(embedded.engine, embedded.graph, AS_OF, rules=rules, settings=keep_one)

    second = run_scan(embedded.engine, embedded.graph, AS_OF, rules=rules, settings=keep_one)

    with pytest.raises(ScanNotFound):
        run_summary(embedded.engine, first.run_id)
    assert _count(embedded.engine, ScanLoanResult, first.run_id) == 0
    assert _count(embedded.engine, ScanRun) == 1
    assert _count(embedded.engine, ScanLoanResult, second.run_id) > 0


def test_risk_components_join_every_kind_of_link_and_number_the_largest_first() -> None:
    # given guarantees A-B, ownership O->B (O is no borrower), a ring C-D, supply D-E
    parties = ["A", "B", "C", "D", "E", "F"]
    found = risk_components(parties, [(["A"], ["B"]), (["O"], ["B"]), (["C"], ["D"]),
                                      (["E"], ["D"])])

    assert found.ids.tolist() == ["A", "B", "C", "D", "E", "F", "O"]
    assert found.sizes.tolist() == [3, 3, 1]
    assert found.members(0) == ["A", "B", "O"]
    assert found.members(1) == ["C", "D", "E"]
    assert found.members(2) == ["F"]


def test_risk_components_refuse_uneven_link_lists() -> None:
    with pytest.raises(RiskError, match="2 sources but 1 targets"):
        risk_components(["A"], [(["A", "B"], ["C"])])


def test_retention_of_zero_is_refused() -> None:
    with pytest.raises(RiskError, match="at least 1"):
        ScanSettings(retention=0)


@pytest.fixture
def cli_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                 portfolio: tuple[Path, dict]) -> Iterator[Engine]:
    for name in list(os.environ):
        if name.startswith("LOANWATCH_"):
            monkeypatch.delenv(name)
    url = f"sqlite:///{tmp_path / 'lw.db'}"
    monkeypatch.setenv("LOANWATCH_DATABASE_URL", url)
    monkeypatch.setenv("COLUMNS", "200")
    engine = create_sql_engine(url)
    migrate(engine)
    import_files([portfolio[0]], EmbeddedGraphStore(engine), engine)
    yield engine
    engine.dispose()


def test_the_command_line_scans_and_shows_the_run(
        cli_database: Engine, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    assert _cli(monkeypatch, "scan", "--as-of", "2025-06-30", "--json") == 0
    document = orjson.loads(capsys.readouterr().out)
    assert set(document) == {"run", "as_of", "status", "phases", "summary"}
    assert (document["as_of"], document["status"]) == ("2025-06-30", "succeeded")
    assert set(document["phases"]["circles"]) == {"seconds", "peak_mib"}
    assert document["summary"]["findings"]["ring"] >= 1

    assert _cli(monkeypatch, "scan", "show") == 0
    shown = capsys.readouterr().out
    assert f"scan run {document['run']} as of 2025-06-30: succeeded (latest)" in shown
    assert "classification" in shown

    assert _cli(monkeypatch, "scan", "--as-of", "2001-01-01") == 1
    assert "before any data" in capsys.readouterr().err
    assert _cli(monkeypatch, "scan", "show", "--run", "99") == 1
    assert "no scan run with id 99" in capsys.readouterr().err


SCAN_TABLES = {"scan_run", "scan_pointer", "scan_loan_result", "scan_finding",
               "scan_finding_member", "scan_alert"}


def test_migration_0006_adds_and_removes_the_scan_tables(unmigrated_database: Engine) -> None:
    migrate(unmigrated_database, "0005")
    assert not SCAN_TABLES & set(inspect(unmigrated_database).get_table_names())

    migrate(unmigrated_database, "0006")
    assert set(inspect(unmigrated_database).get_table_names()) >= SCAN_TABLES

    downgrade(unmigrated_database, "0005")
    assert not SCAN_TABLES & set(inspect(unmigrated_database).get_table_names())
