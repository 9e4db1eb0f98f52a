"""Scoring the stored portfolio with a registered model: the PD and reason codes of every
borrower as of a date (what the scan stores and the PD rules read).

The features are built as of the date by :func:`risk.models.dataset.build_dataset` exactly as
they were for training (same definition of default, same columns); a borrower already in
default on the date is not scored by the model: its PD is 1 and its reason is the default
itself (which loan, which criterion, since when).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any, Final

import numpy as np
from sqlalchemy import Engine

from graph.store import GraphStore
from risk.models.dataset import PortfolioDataset, build_dataset
from risk.models.default_definition import DEFAULT, DefaultDefinition, definition_from_mapping
from risk.models.drift import DRIFT_WATCH, psi_against
from risk.models.errors import ModelError
from risk.models.portfolio_features.party import PERSONAL_COLUMNS
from risk.models.registry import RegisteredModel, production_model
from risk.models.scores import PartyScores

__all__ = ["REASONS_PER_BORROWER", "ScoredPortfolio", "model_definition", "production_scores",
           "score_portfolio"]

#: Reason codes kept per borrower.
REASONS_PER_BORROWER: Final = 3


def _reason_dicts(model_reasons: list[list[Any]], personal: frozenset[str]
                  ) -> list[list[dict[str, Any]]]:
    return [[{"feature": r.feature, "text": r.text,
              "contribution": round(float(r.contribution), 4),
              "personal": r.feature in personal} for r in row] for row in model_reasons]


_CRITERION_WORDS: Final = {
    "days_past_due": "loan {cause} more than {days} days past due",
    "write_off": "loan {cause} written off",
    "restructuring": "loan {cause} restructured for financial difficulty",
    "bankruptcy": "bankruptcy (event {cause})",
}


def _default_words(dataset: PortfolioDataset, party: str) -> str:
    assert dataset.defaults is not None
    first = dataset.defaults.first(party)
    if first is None:  # not possible for a borrower the dataset left out as defaulted
        return "in default"
    day, criterion, cause = first
    words = _CRITERION_WORDS.get(criterion, "{criterion} ({cause})").format(
        cause=cause, criterion=criterion,
        days=dataset.defaults.definition.days_past_due)
    return f"in default since {day.isoformat()}: {words}"


def model_definition(registered: RegisteredModel) -> DefaultDefinition:
    """The definition of default ``registered`` was trained on (the default one for a model
    that does not record it)."""
    stored = registered.training.get("definition")
    if stored is None:
        return DEFAULT
    return definition_from_mapping(stored, where=f"model {registered.id}")


@dataclass(frozen=True, slots=True)
class ScoredPortfolio:
    """The scores, and the drift of this population from the model's training population:
    PSI of the score and of every feature (``None`` for a model without reference bins)."""

    scores: PartyScores
    psi_score: float | None
    psi_features: dict[str, float]

    @property
    def drifting(self) -> list[str]:
        """Features whose PSI is above :data:`risk.models.drift.DRIFT_WATCH`, worst first."""
        return sorted((f for f, v in self.psi_features.items() if v > DRIFT_WATCH),
                      key=lambda f: -self.psi_features[f])


def score_portfolio(engine: Engine, graph: GraphStore, as_of: date, registered: RegisteredModel,
                    *, progress: Callable[[str], None] | None = None) -> ScoredPortfolio:
    """Every borrower's PD on ``as_of`` by ``registered`` (a ``portfolio`` model).

    Raises:
        ModelError: the model is not a portfolio model, or the features it was trained on
            are no longer built (a model from an older feature set: retrain it).
    """
    if registered.scope != "portfolio":
        raise ModelError(f"model {registered.id} was trained on a {registered.scope}, not on "
                         "the portfolio's features: it cannot score the portfolio")
    dataset = build_dataset(engine, graph, as_of, horizon_months=None,
                            definition=model_definition(registered),
                            graph_features=bool(registered.training.get("graph_features", True)),
                            progress=progress)
    missing = [c for c in registered.feature_names if c not in dataset.frame.columns]
    if missing:
        raise ModelError(f"model {registered.id} reads features this version no longer "
                         f"builds ({', '.join(missing[:5])}): train a new one with "
                         "`loanwatch model fit`")
    frame = dataset.frame[registered.feature_names]
    model = registered.model
    if progress is not None:
        progress(f"scoring {len(frame):,} borrowers with {registered.id}")
    pd_scored = np.asarray(model.predict_pd(frame), dtype=np.float64)
    reasons = _reason_dicts(model.reasons(frame, top=REASONS_PER_BORROWER,
                                          describe=dataset.describe),
                            PERSONAL_COLUMNS)
    points = np.full(len(frame), np.nan)
    if hasattr(model, "score_points"):
        points = np.asarray(model.score_points(frame), dtype=np.float64)
    ids = np.asarray(dataset.party_ids).astype(str)
    d_ids = np.asarray(dataset.in_default_ids).astype(str)
    default_reasons = [[{"feature": "in_default", "contribution": 0.0, "personal": False,
                         "text": _default_words(dataset, party)}] for party in d_ids.tolist()]
    all_ids = np.concatenate([ids, d_ids])
    order = np.argsort(all_ids, kind="stable")
    in_default = np.concatenate([np.zeros(len(ids), bool), np.ones(len(d_ids), bool)])
    all_reasons = reasons + default_reasons
    scores = PartyScores(
        model_id=registered.id, as_of=as_of, party_ids=all_ids[order],
        pd=np.concatenate([pd_scored, np.ones(len(d_ids))])[order],
        points=np.concatenate([points, np.full(len(d_ids), np.nan)])[order],
        reasons=[all_reasons[i] for i in order.tolist()], in_default=in_default[order])
    reference = registered.metrics.get("reference") or {}
    psi_score = None if "score" not in reference or not len(pd_scored) \
        else round(psi_against(reference["score"], pd_scored), 6)
    psi_features = {c: round(psi_against(bins, frame[c]), 6)
                    for c, bins in (reference.get("features") or {}).items()
                    if c in frame.columns and len(frame)}
    return ScoredPortfolio(scores, psi_score, psi_features)


def production_scores(engine: Engine, graph: GraphStore, as_of: date, *,
                      progress: Callable[[str], None] | None = None) -> PartyScores | None:
    """Every borrower's PD on ``as_of`` by the production portfolio model, ``None`` when no
    model was promoted (what ``loanwatch alerts run`` gives the PD rules)."""
    registered = production_model(engine)
    if registered is None:
        return None
    return score_portfolio(engine, graph, as_of, registered, progress=progress).scores
