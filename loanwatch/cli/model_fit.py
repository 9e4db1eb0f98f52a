"""``loanwatch model fit``: train the PD model on the stored portfolio.

Both kinds side by side (gradient boosting and the WoE scorecard), validated out of sample
and out of time (:mod:`risk.models.portfolio_training`), both registered; ``--promote``
makes the better one the production model that ``loanwatch scan`` scores with.
"""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path
from typing import Any

import orjson
import typer
from rich.console import Console
from rich.table import Table

from loanwatch.cli.alerts import default_actor
from loanwatch.cli.dates import as_of_date
from loanwatch.settings import Settings
from loanwatch.wiring import stores
from risk.models.default_definition import DEFAULT_DEFINITION_FILE, load_default_definition
from risk.models.portfolio_training import PortfolioTraining, train_portfolio_models

__all__ = ["fit"]


def _figures(measured: dict[str, Any] | None) -> list[str]:
    if measured is None:
        return ["-", "-", "-", "-"]
    return [f"{measured['auc']:.3f}", f"{measured['ks']:.3f}", f"{measured['brier']:.4f}",
            f"{measured['defaults']:,}/{measured['rows']:,}"]


def _print(report: PortfolioTraining) -> None:
    console = Console(highlight=False)
    console.print(f"PD model: {report.horizon_months}-month default, as of "
                  f"{report.as_of.isoformat()}; development snapshot "
                  f"{report.development.isoformat()}, out-of-time snapshot "
                  f"{report.out_of_time.isoformat() if report.out_of_time else '-'}; "
                  f"final fit on {report.rows:,} rows with {report.defaults:,} defaults")
    for note in report.notes:
        console.print(f"note: {note}")
    table = Table("model", "id", "validated on", "AUC", "KS", "Brier", "defaults/rows",
                  "PSI score", title="Validation")
    for kind, r in report.kinds.items():
        name = kind + (" (best)" if kind == report.best else "")
        table.add_row(name, r.model_id or "-", "out of sample", *_figures(r.out_of_sample), "")
        table.add_row("", "", "out of time", *_figures(r.out_of_time),
                      "-" if r.psi_score is None else f"{r.psi_score:.3f}")
    console.print(table)
    best = report.kinds[report.best]
    deciles = Table("decile", "rows", "mean PD", "observed rate",
                    title=f"Calibration of {report.best} by decile of PD")
    for row in best.calibration:
        deciles.add_row(str(row["bin"]), f"{row['count']:,}", f"{row['mean_pd']:.4f}",
                        f"{row['observed_rate']:.4f}")
    console.print(deciles)
    shifted = sorted(best.psi_features.items(), key=lambda kv: -kv[1])[:5]
    if shifted:
        console.print("largest feature PSI (development → out of time): " + ", ".join(
            f"{name} {value:.3f}" for name, value in shifted))
    if report.promoted:
        console.print(f"promoted {report.promoted}: `loanwatch scan` now scores every "
                      "borrower with it")
    else:
        console.print(f"to score with it: loanwatch model promote {best.model_id} "
                      "--reason \"...\"")


def fit(
    as_of: str | None = typer.Option(None, "--as-of", metavar="DATE",
                                     help="Train on what was known on DATE [default: today]."),
    horizon_months: int = typer.Option(12, "--horizon-months", min=1, max=60,
                                       help="Default within this many months."),
    definition_file: Path = typer.Option(
        DEFAULT_DEFINITION_FILE, "--definition", help="The definition of default (YAML).",
        show_default="the shipped definition"),
    graph_features: bool = typer.Option(True, "--graph-features/--no-graph-features",
                                        help="Use the graph features."),
    seed: int = typer.Option(0, "--seed", help="Seed of the split and of the models."),
    promote: bool = typer.Option(False, "--promote",
                                 help="Make the better model the production model."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON document on stdout."),
) -> None:
    """Train both PD models on the stored portfolio, validate them, register them."""
    day: date = as_of_date(as_of)
    definition = load_default_definition(definition_file)  # a bad file stops here
    console = Console(stderr=True, highlight=False)

    def progress(message: str) -> None:
        if not as_json and sys.stderr.isatty():
            console.print(f"[dim]{message}[/]")

    with stores(Settings.from_environ()) as (engine, graph):
        report = train_portfolio_models(
            engine, graph, day, horizon_months=horizon_months, definition=definition,
            graph_features=graph_features, seed=seed, promote_best=promote,
            actor=default_actor(), progress=progress)
    if as_json:
        typer.echo(orjson.dumps(report.as_json()).decode())
        return
    _print(report)
