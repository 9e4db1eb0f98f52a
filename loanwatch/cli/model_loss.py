"""``loanwatch model loss``: the LGD and EAD models of the stored book as of a date, so
that a risk officer sees where each LGD comes from.

The LGD table has one row per segment (collateral kind and coverage band): the workouts
observed, those not counted yet (too recent, or awaiting the collateral's disposal), the
observed workouts' realised mean LGD, the configured prior and the
estimate the ECL uses (the two blended by credibility, floored). The EAD table gives the
book's exposure by currency: outstanding principal, overdue and accrued interest, undrawn
amounts and the EAD. ``--json`` prints one document: ``{"as_of", "lgd": {"settings",
"segments": [{"collateral", "coverage", "observations", "recent", "awaiting_disposal",
"realised_mean",
"prior", "estimate", "floored"}]}, "ead": {CURRENCY: {"loans", "outstanding",
"overdue_interest", "accrued_interest", "undrawn", "ead"}}}``.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import orjson
import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from loanwatch.cli.dates import as_of_date
from loanwatch.settings import Settings
from loanwatch.wiring import stores
from risk.classification.provisioning_config import (
    DEFAULT_PROVISIONING,
    load_provisioning_config,
)
from risk.models.lgd import LgdModel
from risk.models.loss import LossModels, loss_models

__all__ = ["lgd_table", "loss"]


def loss(
    as_of: str | None = typer.Option(
        None, "--as-of", metavar="DATE", help="The book as it stood on DATE (YYYY-MM-DD; "
        "default today). Nothing dated after it is read."),
    json_output: bool = typer.Option(False, "--json", help="Print one JSON document."),
    config: Path | None = typer.Option(
        None, "--config", metavar="FILE", help="A TOML file whose [provisioning] table sets "
        "the LGD priors, credibility, floor and workout age, and the CCFs (see the README)."),
) -> None:
    """LGD by collateral kind and coverage from the book's own workouts, and EAD."""
    day = as_of_date(as_of)
    provisioning = DEFAULT_PROVISIONING if config is None else load_provisioning_config(config)
    with stores(Settings.from_environ()) as (engine, store):
        models = loss_models(engine, store, day, provisioning=provisioning)
    if json_output:
        typer.echo(orjson.dumps(models.as_json()).decode())
        return
    _print(models)


def lgd_table(model: LgdModel) -> Table:
    """The LGD table as a rich table (also printed by ``loanwatch classify``)."""
    s = model.settings
    table = Table(title=f"LGD by segment as of {model.as_of.isoformat()} (credibility k = "
                  f"{s.credibility:g}, floor {s.floor:g}, workouts of {s.workout_months}+ "
                  f"months or repaid, default = more than {s.default_dpd} days past due)")
    for name in ("segment", "observations", "recent", "awaiting disposal", "realised mean",
                 "prior", "estimate"):
        table.add_column(name, justify="left" if name == "segment" else "right")
    for segment in model.segments:
        realised = "-" if segment.realised_mean is None else f"{segment.realised_mean:.4f}"
        estimate = f"{segment.estimate:.4f}" + (" (floor)" if segment.floored else "")
        table.add_row(escape(segment.label), str(segment.observations), str(segment.recent),
                      str(segment.awaiting_disposal), realised, f"{segment.prior:.4f}",
                      estimate)
    return table


def _print(models: LossModels) -> None:
    console = Console()
    console.print(lgd_table(models.lgd))
    ead = Table(title="EAD of the live loans")
    for name in ("currency", "loans", "outstanding", "overdue interest", "accrued interest",
                 "undrawn", "EAD"):
        ead.add_column(name, justify="left" if name == "currency" else "right")
    for currency, parts in models.as_json()["ead"].items():
        ead.add_row(currency, str(parts["loans"]), *(
            f"{Decimal(parts[name]):,}" for name in ("outstanding", "overdue_interest",
                                                      "accrued_interest", "undrawn", "ead")))
    console.print(ead)
    if not models.lgd.segments:
        console.print("no live loans and no workouts as of this date")
