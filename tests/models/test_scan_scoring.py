"""The production PD model in the scan, on every backend: nothing is scored before a model
is promoted; then every borrower with a live loan gets a PD naming the model with its reason
codes (a borrower in default PD 1, with its default as the reason), the same PDs a
standalone scoring gives, the PD rules raise the same alerts either way, and
``Party.pd`` serves the stored PD with personal-data reasons masked."""

from __future__ import annotations

import asyncio
from dataclasses import asdict
from datetime import date
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import text

from auth.principal import Role
from risk.classification.history import RepaymentHistory
from risk.models.dataset import build_dataset
from risk.models.default_definition import DEFAULT
from risk.models.gbm import fit_gbm
from risk.models.registry import promote, register_model
from risk.models.scoring import production_scores
from risk.rules.evaluate import evaluate
from risk.rules.loader import DEFAULT_RULES_FILE, load_rules
from risk.scan import run_scan
from risk.scan_results import party_scores
from schema import build_context, build_schema
from seeds.config import PortfolioConfig
from seeds.generate import generate_portfolio
from tests.ingest.importing import import_files
from tests.portfolio.databases import postgres_engine, sqlite_engine
from tests.principals import principal_of
from tests.risk.rules.stores import Stores, stores

__all__ = ["postgres_engine", "sqlite_engine", "stores"]

AS_OF = date(2025, 6, 30)
TRAINED_ON = date(2024, 6, 30)
PD_QUERY = """query($id: ID!) { party(id: $id) { pd { pd model asOf scanRun inDefault
  reasons { feature text contribution personal } } } }"""


@pytest.fixture(scope="module")
def portfolio(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("scoring") / "portfolio"
    generate_portfolio(PortfolioConfig(borrowers=1200, seed=5), out)
    return out


def _promoted_model(stores: Stores) -> str:
    """A gradient-boosting model fitted on the portfolio a year earlier, promoted."""
    dataset = build_dataset(stores.engine, stores.graph, TRAINED_ON)
    assert dataset.label is not None and dataset.label.sum() >= 5
    model = fit_gbm(dataset.frame, dataset.label.astype(int), seed=0)
    model_id = register_model(
        stores.engine, kind="gbm", payload=model.to_bytes(),
        feature_names=model.feature_names, target="default within 12 months",
        training={"as_of": TRAINED_ON.isoformat(), "definition": asdict(DEFAULT),
                  "graph_features": True}, metrics={}, scope="portfolio",
        code_version="test")
    promote(stores.engine, model_id, reason="test", actor="tester")
    return model_id


def _pd_alerts(drafts: list) -> set[tuple[str, str, str]]:
    return {(d.rule_id, d.subject_id, repr(d.signals)) for d in drafts
            if d.rule_id in ("pd-high", "pd-rising")}


def _api_pd(stores: Stores, party: str, *, personal: bool) -> dict | None:
    context = build_context(stores.graph, records=stores.engine, principal=principal_of(
        Role.INVESTIGATOR if personal else Role.ANALYST))
    result = asyncio.run(build_schema(mask_errors=False).execute(
        PD_QUERY, variable_values={"id": party}, context_value=context))
    assert result.errors is None, result.errors
    assert result.data is not None
    return result.data["party"]["pd"]


def test_the_scan_scores_every_borrower_with_the_production_model(
        stores: Stores, portfolio: Path) -> None:
    import_files([portfolio], stores.graph, stores.engine)
    rules = load_rules(DEFAULT_RULES_FILE)
    before = run_scan(stores.engine, stores.graph, AS_OF, rules=rules)
    assert before.summary["scores"]["model"] is None
    assert "pd-high" in before.summary["rules"]["skipped"]
    with stores.engine.connect() as connection:
        borrower = connection.execute(text("SELECT min(borrower_id) FROM loan")).scalar_one()
    assert _api_pd(stores, borrower, personal=True) is None

    model_id = _promoted_model(stores)
    outcome = run_scan(stores.engine, stores.graph, AS_OF, rules=rules)
    assert outcome.summary["scores"]["model"] == model_id
    assert "pd-high" not in outcome.summary["rules"]["skipped"]
    with stores.engine.connect() as connection:
        stored = {row[0]: (row[1], row[2]) for row in connection.execute(text(
            "SELECT party_id, pd, model_id FROM scan_party_score WHERE run_id = :r"),
            {"r": outcome.run_id})}
    # Every borrower with a live loan on the date, scored or in default, and no one else.
    dataset = build_dataset(stores.engine, stores.graph, AS_OF, horizon_months=None)
    assert set(stored) == set(dataset.party_ids.tolist()) | set(
        dataset.in_default_ids.tolist())
    assert len(dataset.in_default_ids) > 0
    scores = party_scores(stores.engine, list(stored))
    assert {s.model_id for s in scores.values()} == {model_id}
    for party in dataset.in_default_ids.tolist():
        assert scores[party].pd == 1.0
        assert scores[party].reasons[0]["text"].startswith("in default since ")
    performing = [scores[p] for p in dataset.party_ids.tolist()]
    assert all(0.0 < s.pd < 1.0 and 1 <= len(s.reasons) <= 3 for s in performing)
    assert all(r["contribution"] > 0 and r["text"] for s in performing for r in s.reasons)

    # Reproducible: scoring again with the registered artefact gives the stored PDs, and the
    # PD rules raise the same alerts from either.
    again = production_scores(stores.engine, stores.graph, AS_OF)
    assert again is not None and again.model_id == model_id
    np.testing.assert_allclose(again.pd, [stored[p][0] for p in again.party_ids.tolist()])
    alone = evaluate(rules.rules, as_of=AS_OF, graph=stores.graph, engine=stores.engine,
                     delinquency=RepaymentHistory(stores.engine), scores=again)
    with stores.engine.connect() as connection:
        raised = {row[0] for row in connection.execute(text(
            "SELECT subject_id FROM alert WHERE rule_id = 'pd-high'"))}
    assert {d.subject_id for d in alone.drafts if d.rule_id == "pd-high"} == raised
    assert raised  # the portfolio has borrowers above 20%

    # The API serves the stored PD; a personal-data reason is masked without the right.
    top = max(performing, key=lambda s: s.pd)
    shown = _api_pd(stores, top.party_id, personal=True)
    assert (shown["pd"], shown["model"], shown["scanRun"]) == (top.pd, model_id,
                                                              outcome.run_id)
    assert [r["text"] for r in shown["reasons"]] == [r["text"] for r in top.reasons]
    personal = next((s for s in performing if any(r["personal"] for r in s.reasons)), None)
    if personal is not None:
        masked = _api_pd(stores, personal.party_id, personal=False)
        hidden = [r for r in masked["reasons"] if r["personal"]]
        assert hidden and all(r["text"] == "a personal-data factor (masked)" for r in hidden)
    defaulted = _api_pd(stores, dataset.in_default_ids[0], personal=False)
    assert defaulted["pd"] == 1.0 and defaulted["inDefault"] is True

