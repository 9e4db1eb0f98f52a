"""``pd_threshold`` and ``pd_rise`` on every SQL backend: one alert per borrower, with the
PD, the model and its reason codes; a rise judged against the lowest PD the scans of the
window stored; borrowers in default left to the delinquency rules."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import numpy as np
import orjson
from sqlalchemy import Engine
from sqlmodel import Session

from graph.model import Label, Node
from graph.stores.embedded import EmbeddedGraphStore
from portfolio.models import ScanPartyScore
from portfolio.scan_runs import ScanRun, ScanStatus
from risk.models.registry import parse_model_id, register_model
from risk.models.scores import PartyScores
from risk.rules.evaluate import NO_PD_MODEL, Evaluation, evaluate
from risk.rules.loader import parse_rules
from tests.portfolio.databases import database, postgres_engine, sqlite_engine

__all__ = ["database", "postgres_engine", "sqlite_engine"]

AS_OF = date(2025, 6, 30)
RULES = """
rules:
  - {id: pd, signal: pd_threshold, severity: high, description: d, threshold: 0.2}
  - {id: pd-up, signal: pd_rise, severity: medium, description: d, points: 0.05,
     within_days: 90}
"""
PARTIES = ["P1", "P2", "P3", "P4"]


def _model(engine: Engine) -> str:
    return register_model(engine, kind="gbm", payload=b"m", feature_names=["f"],
                          target="default", training={}, metrics={}, scope="portfolio",
                          code_version="test")


def _scores(model: str, pd: list[float], in_default: list[bool]) -> PartyScores:
    reasons = [[{"feature": "dpd_max_6m", "value": 40, "contribution": 0.8,
                 "text": f"{p}: 40 days past due in 6 months"}] for p in PARTIES]
    return PartyScores(model_id=model, as_of=AS_OF, party_ids=np.array(PARTIES),
                       pd=np.array(pd), points=np.full(len(PARTIES), np.nan),
                       reasons=reasons, in_default=np.array(in_default))


def _stored_run(engine: Engine, model: str, as_of: date, pds: dict[str, float]) -> None:
    at = datetime(2025, 1, 1, tzinfo=UTC)
    with Session(engine) as session, session.begin():
        run = ScanRun(as_of=as_of, started_at=at, finished_at=at, code_version="t",
                      status=ScanStatus.SUCCEEDED.value, settings={}, phases={}, summary={})
        session.add(run)
        session.flush()
        assert run.id is not None
        for party, pd in pds.items():
            session.add(ScanPartyScore(run_id=run.id, party_id=party,
                                       model_id=parse_model_id(model), pd=pd, reasons="[]"))


def _evaluate(engine: Engine, scores: PartyScores | None) -> Evaluation:
    graph = EmbeddedGraphStore(engine)
    graph.upsert_nodes([Node(p, Label.PERSON, {}) for p in PARTIES])
    return evaluate(parse_rules(RULES, "t.yaml").rules, as_of=AS_OF, graph=graph,
                    engine=engine, scores=scores)


def test_threshold_and_rise_alert_each_borrower_once_with_the_model_and_reasons(
        database: Engine) -> None:
    model = _model(database)
    _stored_run(database, model, AS_OF - timedelta(days=30), {"P1": 0.10, "P2": 0.09,
                                                              "P3": 0.01})
    # Outside the 90-day window: never compared with.
    _stored_run(database, model, AS_OF - timedelta(days=120), {"P2": 0.001})
    result = _evaluate(database, _scores(model, [0.30, 0.10, 1.0, 0.25],
                                         [False, False, True, False]))
    by_rule: dict[str, dict[str, dict[str, object]]] = {}
    for draft in result.drafts:
        by_rule.setdefault(draft.rule_id, {})[draft.subject_id] = draft.signals[0]
    # P3 is in default (PD 1): the delinquency rules speak for it.
    assert set(by_rule["pd"]) == {"P1", "P4"}
    assert by_rule["pd"]["P1"]["pd"] == 0.3 and by_rule["pd"]["P1"]["model"] == model
    assert by_rule["pd"]["P1"]["reasons"] == ["P1: 40 days past due in 6 months"]
    # P1 rose 0.20; P2 only 0.01; P4 has no earlier score to compare with.
    assert set(by_rule["pd-up"]) == {"P1"}
    rise = by_rule["pd-up"]["P1"]
    assert (rise["pd_from"], rise["rise"]) == (0.1, 0.2)
    assert rise["compared_with"] == [(AS_OF - timedelta(days=30)).isoformat()]
    assert all(d.subject_kind == "party" for d in result.drafts)
    assert orjson.dumps(result.drafts[0].evidence)


def test_without_scores_the_pd_rules_are_skipped_and_say_why(database: Engine) -> None:
    result = _evaluate(database, None)
    assert {s.rule_id: s.reason for s in result.skipped} == {"pd": NO_PD_MODEL,
                                                             "pd-up": NO_PD_MODEL}
    assert result.drafts == []


def test_a_rise_without_earlier_scans_is_noted_not_guessed(database: Engine) -> None:
    model = _model(database)
    result = _evaluate(database, _scores(model, [0.5, 0.5, 0.5, 0.5], [False] * 4))
    assert [d.rule_id for d in result.drafts].count("pd-up") == 0
    assert "no earlier PD to compare with" in result.notes["pd-up"][0]
