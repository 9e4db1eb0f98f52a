"""``loanwatch model train --data FILE.csv`` and ``loanwatch model score``: PD models on a
lender's own tabular file.

``train`` reads and checks the file (:mod:`risk.models.tabular`), cross-validates the
gradient-boosting model and the scorecard on the same five stratified folds, prints AUC,
KS and Brier as mean ± standard deviation for each, fits the better one on every row and
registers it (scope ``file``). Nothing is registered when anything fails. ``score`` applies
a registered model to a file of the same columns and writes each row's PD and its three
main reason codes, beside the row's id column(s) (or its file line) to join them back.
Progress goes to stderr; with ``--json`` stdout holds exactly one JSON document.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import pandas as pd
import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from loanwatch.errors import ConfigurationError
from loanwatch.settings import Settings
from loanwatch.wiring import create_engine_from_settings
from portfolio.models import ModelScope
from risk.models.cross_validation import FOLDS
from risk.models.pd_model import PdModel
from risk.models.registry import load_model, register_model
from risk.models.tabular import load_scoring_data, load_training_data, train_on_file

__all__ = ["REASONS", "score", "train"]

#: Reason-code columns written per scored row.
REASONS = 3


def _progress() -> Progress:
    return Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(),
                    TimeElapsedColumn(), console=Console(stderr=True), transient=True)


def train(
    data: Path = typer.Option(..., "--data", metavar="FILE.csv", help="The training file."),
    target: str = typer.Option(..., "--target", metavar="COLUMN",
                               help="The column that says whether the row defaulted."),
    positive: str | None = typer.Option(
        None, "--positive", metavar="VALUE",
        help="The target value meaning default (by default: 1 of a 0/1 target, a word "
             "such as bad or yes, else the rarer value).", show_default=False),
    drop: list[str] = typer.Option([], "--drop", metavar="COLUMN",
                                   help="Leave this column out (repeat for several)."),
    actor: str = typer.Option("cli", "--actor", help="Who trains, kept with the model."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON document on stdout."),
) -> None:
    """Cross-validate both PD models on a CSV file and register the better one."""
    console = Console(stderr=True)
    training = load_training_data(data, target, positive=positive, drop=drop)
    for note in training.notes():
        console.print(escape(note), highlight=False, soft_wrap=True)
    engine = create_engine_from_settings(Settings.from_environ())
    try:
        progress = _progress()
        with progress:
            task = progress.add_task("cross-validation", total=FOLDS * 2 + 1)

            steps = iter([0] + [1] * (FOLDS * 2))  # each message starts the next step

            def step(text: str) -> None:
                progress.update(task, description=text, advance=next(steps, 1))

            outcome = train_on_file(training, folds=FOLDS, progress=step)
        summary = outcome.validation.summary()
        model = outcome.model
        model_id = register_model(
            engine, kind=model.kind, payload=model.to_bytes(),
            feature_names=list(model.feature_names), target=training.target,
            training={**training.description(), "folds": FOLDS, "seed": 0},
            metrics={**summary[outcome.best], "folds": FOLDS, "models": summary},
            params=_params(model), actor=actor, scope=ModelScope.FILE.value)
    finally:
        engine.dispose()
    document = {**outcome.document(), "model_id": model_id}
    if as_json:
        typer.echo(orjson.dumps(document).decode())
        return
    table = Table(title=f"{FOLDS}-fold cross-validation on {len(training.y)} rows "
                        "(mean ± std over the folds)")
    for column in ("model", "AUC", "KS", "Brier"):
        table.add_column(column, justify="left" if column == "model" else "right")
    for name, measured in summary.items():
        table.add_row(name + (" (best)" if name == outcome.best else ""),
                      *(f"{measured[m]['mean']:.4f} ± {measured[m]['std']:.4f}"
                        for m in ("auc", "ks", "brier")))
    Console().print(table)
    typer.echo(f"registered {model_id}: {outcome.best}, trained on all {len(training.y)} rows "
               f"(`loanwatch model show {model_id}`)")


def _params(model: PdModel) -> dict[str, Any]:
    params = getattr(model, "params", None)
    if isinstance(params, dict):
        return params
    return {name: getattr(model, name) for name in ("pdo", "base_points", "base_odds")
            if hasattr(model, name)}


def _categorical(model: PdModel) -> list[str]:
    """The features the model reads as levels rather than numbers."""
    if hasattr(model, "levels"):
        return list(model.levels)
    return [b.feature for b in getattr(model, "binnings", []) if b.kind == "categorical"]


def score(
    model_id: str = typer.Option(..., "--model", metavar="ID", help="The registered model."),
    data: Path = typer.Option(..., "--data", metavar="FILE.csv", help="The rows to score."),
    out: Path = typer.Option(..., "--out", metavar="SCORES.csv", help="Where to write them."),
) -> None:
    """PD and reason codes for every row of a CSV file, with a registered model."""
    console = Console(stderr=True)
    if not out.parent.is_dir():
        raise ConfigurationError(f"--out {out}: the folder {out.parent} does not exist")
    engine = create_engine_from_settings(Settings.from_environ())
    try:
        registered = load_model(engine, model_id)
    finally:
        engine.dispose()
    model = registered.model
    rows = load_scoring_data(data, model.feature_names, categorical=_categorical(model),
                             id_columns=registered.training.get("id_columns", []))
    for report in rows.text_in_numeric:
        console.print(escape(str(report)), highlight=False, soft_wrap=True)
    scores = rows.labels.copy()
    scores["pd"] = model.predict_pd(rows.frame)
    points = getattr(model, "score_points", None)
    if callable(points):
        scores["points"] = np.round(points(rows.frame), 1)
    reasons = model.reasons(rows.frame, top=REASONS)
    for k in range(REASONS):
        scores[f"reason_{k + 1}"] = [r[k].text if len(r) > k else "" for r in reasons]
    _write_atomically(scores, out)
    typer.echo(f"scored {len(scores)} rows of {rows.path} with {registered.id} "
               f"({registered.kind}): {out}")


def _write_atomically(frame: pd.DataFrame, out: Path) -> None:
    """Write ``frame`` as CSV to ``out`` through a temporary file, so a failure leaves
    any earlier file whole."""
    handle, temporary = tempfile.mkstemp(prefix=".scores-", suffix=".csv", dir=out.parent)
    os.close(handle)
    try:
        frame.to_csv(temporary, index=False)
        os.replace(temporary, out)
    finally:
        if os.path.exists(temporary):
            os.remove(temporary)
