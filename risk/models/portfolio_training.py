"""Training the PD model on the stored portfolio: both kinds side by side, validated out of
sample and out of time, registered with everything that reproduces them.

The target is the configured default within ``horizon_months`` of a snapshot date
(:mod:`risk.models.default_definition`), so a snapshot can be labelled only once its
horizon has passed: the latest usable one is ``as_of − horizon``. The design:

* **development snapshot** ``as_of − horizon − 6 months``: its borrowers are split 80/20,
  stratified and seeded; each kind (gradient boosting, WoE scorecard) learns on the 80%;
* **out of sample**: AUC, KS, Brier on the other 20% of the same date;
* **out of time**: the same on the latest snapshot (``as_of − horizon``), with the
  calibration table by decile and the PSI of every feature and of the score between the
  development training rows and that later population (the drift the model must survive);
  and **out of time and out of sample** (``unseen``) on the borrowers of that snapshot the
  development fit never learned from, when they hold enough defaults;
* the kind with the higher out-of-time AUC (the lower Brier on a tie) is ``best``;
* each kind is then refitted on both snapshots whole (every labelled row the portfolio
  has) and registered with the validation figures of its development fit, the training
  windows, the feature list, the definition of default, and the reference bins of its
  training population (:mod:`risk.models.drift`) so that each scan can measure drift.

A portfolio whose history does not reach the development snapshot (or whose snapshot has
too few defaults) is validated out of sample only, and the registry entry says so.
"""

from __future__ import annotations

import calendar
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any, Final

import numpy as np
import pandas as pd
from sqlalchemy import Engine

from graph.store import GraphStore
from risk.errors import NoDataAsOf
from risk.models import metrics
from risk.models.dataset import PortfolioDataset, build_dataset
from risk.models.default_definition import DEFAULT, DefaultDefinition
from risk.models.drift import reference_bins
from risk.models.errors import ModelError
from risk.models.gbm import fit_gbm
from risk.models.pd_model import PdModel
from risk.models.registry import promote, register_model
from risk.models.scorecard import fit_scorecard

__all__ = ["FITS", "MIN_DEFAULTS", "KindReport", "PortfolioTraining", "months_before",
           "train_portfolio_models"]

#: The two kinds trained side by side.
FITS: Final[dict[str, Callable[..., PdModel]]] = {"gbm": fit_gbm, "scorecard": fit_scorecard}
#: Fewest defaults (and non-defaults) a snapshot needs to be learned from or judged on.
MIN_DEFAULTS: Final = 10
#: Months between the development snapshot and the latest labelled one.
OUT_OF_TIME_MONTHS: Final = 6
#: Share of the development borrowers held out (out of sample).
HOLDOUT: Final = 0.2


def months_before(day: date, months: int) -> date:
    """``day`` moved back ``months`` months; a month's last day stays a month's last day
    (2024-06-30 less 6 months is 2023-12-31)."""
    year, month0 = divmod(day.year * 12 + day.month - 1 - months, 12)
    last = calendar.monthrange(year, month0 + 1)[1]
    at_end = day.day == calendar.monthrange(day.year, day.month)[1]
    return date(year, month0 + 1, last if at_end else min(day.day, last))


def _measure(y: np.ndarray, p: np.ndarray) -> dict[str, Any]:
    return {"auc": metrics.auc(y, p), "ks": metrics.ks(y, p), "brier": metrics.brier(y, p),
            "rows": len(y), "defaults": int(y.sum()), "default_rate": float(y.mean())}


def _usable(y: np.ndarray | None) -> bool:
    return y is not None and int(y.sum()) >= MIN_DEFAULTS \
        and int(len(y) - y.sum()) >= MIN_DEFAULTS


@dataclass
class KindReport:
    """One kind's validation and its registered model."""

    kind: str
    out_of_sample: dict[str, Any]
    out_of_time: dict[str, Any] | None
    calibration: list[dict[str, Any]]
    psi_score: float | None
    psi_features: dict[str, float]
    model_id: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {"model_id": self.model_id, "out_of_sample": self.out_of_sample,
                "out_of_time": self.out_of_time, "calibration": self.calibration,
                "psi_score": self.psi_score, "psi_features": self.psi_features}


@dataclass
class PortfolioTraining:
    """What :func:`train_portfolio_models` did."""

    as_of: date
    horizon_months: int
    development: date
    out_of_time: date | None
    rows: int
    defaults: int
    kinds: dict[str, KindReport] = field(default_factory=dict)
    best: str = ""
    promoted: str | None = None
    notes: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {"as_of": self.as_of.isoformat(), "horizon_months": self.horizon_months,
                "development": self.development.isoformat(),
                "out_of_time": None if self.out_of_time is None
                else self.out_of_time.isoformat(),
                "rows": self.rows, "defaults": self.defaults, "best": self.best,
                "promoted": self.promoted, "notes": self.notes,
                "models": {k: r.as_json() for k, r in self.kinds.items()}}


def _split(y: np.ndarray, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Stratified ``1 − HOLDOUT`` / ``HOLDOUT`` split of the rows (train, holdout)."""
    from sklearn.model_selection import train_test_split  # only training needs it

    rows = np.arange(len(y))
    train, holdout = train_test_split(rows, test_size=HOLDOUT, stratify=y, random_state=seed)
    return np.sort(train), np.sort(holdout)


def _dataset(engine: Engine, graph: GraphStore, day: date, horizon: int,
             definition: DefaultDefinition, graph_features: bool,
             say: Callable[[str], None]) -> PortfolioDataset | None:
    say(f"features and labels as of {day.isoformat()}")
    try:
        return build_dataset(engine, graph, day, horizon_months=horizon, definition=definition,
                             graph_features=graph_features, progress=say)
    except NoDataAsOf:
        return None


def train_portfolio_models(engine: Engine, graph: GraphStore, as_of: date, *,
                           horizon_months: int = 12,
                           definition: DefaultDefinition = DEFAULT,
                           graph_features: bool = True, seed: int = 0,
                           promote_best: bool = False, actor: str = "cli",
                           progress: Callable[[str], None] | None = None
                           ) -> PortfolioTraining:
    """Train, validate and register both kinds on the portfolio as of ``as_of`` (see the
    module); with ``promote_best`` the better one becomes the production model.

    Raises:
        ModelError: no labelled snapshot with enough defaults (the history is too short).
    """
    def say(message: str) -> None:
        if progress is not None:
            progress(message)

    latest_day = months_before(as_of, horizon_months)
    dev_day = months_before(latest_day, OUT_OF_TIME_MONTHS)
    latest = _dataset(engine, graph, latest_day, horizon_months, definition, graph_features,
                      say)
    if latest is None or not _usable(latest.label):
        raise ModelError(
            f"cannot train a {horizon_months}-month PD model as of {as_of.isoformat()}: the "
            f"latest labelled snapshot ({latest_day.isoformat()}) has fewer than "
            f"{MIN_DEFAULTS} defaults and {MIN_DEFAULTS} non-defaults; give a later --as-of "
            "or a shorter --horizon-months")
    development = _dataset(engine, graph, dev_day, horizon_months, definition, graph_features,
                           say)
    notes: list[str] = []
    if development is None or not _usable(development.label):
        notes.append(f"no out-of-time validation: the snapshot of {dev_day.isoformat()} has "
                     f"too few defaults (or no loans); validated out of sample on "
                     f"{latest_day.isoformat()} only")
        development, oot = latest, None
    else:
        oot = latest
    assert development.label is not None
    y_dev = development.label.astype(int)
    train, holdout = _split(y_dev, seed)
    columns = list(development.frame.columns)
    trained_ids = set(development.party_ids[train].tolist())
    if oot is not None:
        assert oot.label is not None
        oot_frame, y_oot = oot.frame[columns], oot.label.astype(int)
        unseen = np.array([p not in trained_ids for p in oot.party_ids.tolist()], dtype=bool)
    pooled = [d for d in (development, oot) if d is not None]
    everything = pd.concat([d.frame[columns] for d in pooled], ignore_index=True)
    y_all = np.concatenate([np.asarray(d.label, dtype=int) for d in pooled])
    report = PortfolioTraining(
        as_of=as_of, horizon_months=horizon_months, development=development.as_of,
        out_of_time=None if oot is None else oot.as_of, rows=len(y_all),
        defaults=int(y_all.sum()), notes=notes)
    for kind, fit in FITS.items():
        say(f"{kind}: development fit on {len(train):,} borrowers")
        model = fit(development.frame.iloc[train], y_dev[train], seed=seed)
        oos = _measure(y_dev[holdout], model.predict_pd(development.frame.iloc[holdout]))
        oot_measured, table, psi_score = None, [], None
        psi_features: dict[str, float] = {}
        if oot is not None and _usable(y_oot):
            later = model.predict_pd(oot_frame)
            oot_measured = _measure(y_oot, later)
            # Out of time and out of sample: the borrowers the development fit never saw.
            oot_measured["unseen"] = _measure(y_oot[unseen], later[unseen]) \
                if _usable(y_oot[unseen]) else None
            table = metrics.calibration_table(y_oot, later)
            psi_score = metrics.psi(model.predict_pd(development.frame.iloc[train]), later)
            psi_features = {c: round(metrics.psi(development.frame[c].iloc[train],
                                                 oot_frame[c]), 6) for c in columns}
        else:
            table = metrics.calibration_table(
                y_dev[holdout], model.predict_pd(development.frame.iloc[holdout]))
        report.kinds[kind] = KindReport(kind, oos, oot_measured, table, psi_score,
                                        psi_features)
    judged = {k: (r.out_of_time or r.out_of_sample) for k, r in report.kinds.items()}
    report.best = max(judged, key=lambda k: (round(judged[k]["auc"], 6),
                                             -judged[k]["brier"]))
    for kind, fit in FITS.items():
        say(f"{kind}: final fit on {len(y_all):,} rows of {len(pooled)} snapshot(s)")
        model = fit(everything, y_all, seed=seed)
        kind_report = report.kinds[kind]
        reference = {"score": reference_bins(model.predict_pd(latest.frame[columns])),
                     "features": {c: reference_bins(everything[c]) for c in columns}}
        kind_report.model_id = register_model(
            engine, kind=kind, payload=model.to_bytes(), feature_names=model.feature_names,
            target=f"default within {horizon_months} months",
            training={"source": "portfolio", "snapshots": [d.as_of.isoformat()
                                                           for d in pooled],
                      "as_of": as_of.isoformat(), "horizon_months": horizon_months,
                      "rows": len(y_all), "defaults": int(y_all.sum()),
                      "graph_features": graph_features, "seed": seed,
                      "definition": asdict(definition),
                      "definition_text": definition.describe(),
                      "graph_columns": [c for c in columns if c in latest.graph_columns]},
            metrics={**(kind_report.out_of_time or kind_report.out_of_sample),
                     "validation": kind_report.as_json(), "reference": reference,
                     "best": kind == report.best},
            params={"seed": seed}, actor=actor, scope="portfolio")
    if promote_best:
        chosen = report.kinds[report.best].model_id
        assert chosen is not None
        judged_best = judged[report.best]
        promote(engine, chosen, actor=actor, reason=(
            f"loanwatch model fit --promote: best of {len(FITS)} on "
            f"{'out-of-time' if oot is not None else 'out-of-sample'} AUC "
            f"{judged_best['auc']:.3f}"))
        report.promoted = chosen
    return report
