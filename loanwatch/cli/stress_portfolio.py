"""``loanwatch stress`` on the stored portfolio: the selection, the run and the loss table.

The portfolio mode of :mod:`loanwatch.cli.stress` (``--party ID... | --sector S |
--region R | --group ID [--shock FRACTION]``). It opens the configured stores, builds the
exposure network (:func:`risk.contagion.portfolio.stress_stored_portfolio`), shocks the
selection and prints a loss table, or with ``--json`` one document::

    {"method", "currency", "shock", "lgd", "shocked": [ids], "rounds",
     "additional_stress", "additional_defaults", "min_distress", "below_threshold",
     "exposure_at_risk": {"CNY": "<decimal>"}, "expected_loss": {"CNY": "<decimal>"},
     "parties_hit": [{"id", "initial", "distress", "round", "via", "links", "path",
                      "loans", "exposure", "expected_loss"}],
     "loans_hit": [{"id", "borrower", "distress", "currency", "principal"}],
     "links": {"guarantee": n, "ownership": n, "supply": n},
     "buffers": {"registered_capital": n, ...}, "left_out": {what: n}}

Amounts are exact decimal text per currency. Nothing is stored.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import orjson
import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from graph.store import GraphStore
from loanwatch.settings import Settings
from loanwatch.wiring import stores
from portfolio.money import minor_to_decimal
from risk.contagion.buffers import StressConfig
from risk.contagion.portfolio import (
    PortfolioNetwork,
    PortfolioStress,
    ShockSelection,
)
from risk.contagion.portfolio import stress_stored_portfolio as stress_service
from risk.errors import ShockError

__all__ = ["PortfolioRequest", "parse_fraction", "portfolio_document", "run_portfolio",
           "stress_stored_portfolio"]


@dataclass(frozen=True, slots=True)
class PortfolioRequest:
    """What the command line asked of a portfolio stress test."""

    parties: list[str] = field(default_factory=list)
    sector: str | None = None
    region: str | None = None
    group: str | None = None
    shock: list[str] = field(default_factory=list)
    method: str = "debtrank"
    as_json: bool = False
    top: int = 20


def parse_fraction(shock: list[str]) -> float:
    """The portfolio mode's ``--shock``: one FRACTION in [0, 1]; none means 1 (default)."""
    if not shock:
        return 1.0
    if len(shock) > 1:
        raise ShockError(f"--shock is given {len(shock)} times; a portfolio shock is one "
                         "fraction for every selected party",
                         suggestion="e.g. --shock 0.5 takes half of each one's buffer")
    text = shock[0].strip()
    if "=" in text:
        raise ShockError(f"--shock {text}: ID=FRACTION is the form of a network from files; "
                         "a portfolio shock is one FRACTION",
                         suggestion="select the parties with --party ID and give --shock 0.5")
    try:
        fraction = float(text)
    except ValueError:
        raise ShockError(f"--shock {text!r} is not a number",
                         suggestion="a fraction from 0 to 1 (1, the default, defaults "
                                    "them)") from None
    if not (math.isfinite(fraction) and 0.0 <= fraction <= 1.0):
        raise ShockError(f"--shock {text} is outside [0, 1]",
                         suggestion="the shock is the share of each selected party's buffer "
                                    "lost at the start; 1 (the default) defaults them")
    return fraction


def stress_stored_portfolio(store: GraphStore, request: PortfolioRequest,
                            config: StressConfig) -> tuple[PortfolioNetwork, PortfolioStress]:
    """Read the network from ``store``, select and shock, run: the service of
    :mod:`risk.contagion.portfolio`, which the GraphQL ``stress`` query calls too."""
    fraction = parse_fraction(request.shock)  # a bad shock fails before the reading
    selection = ShockSelection(parties=tuple(request.parties), sector=request.sector,
                               region=request.region, group=request.group)
    return stress_service(store, selection, fraction, config=config, method=request.method)


def run_portfolio(request: PortfolioRequest, config: StressConfig) -> None:
    """Open the configured stores, run, print; the stores are closed whatever happens."""
    parse_fraction(request.shock)
    settings = Settings.from_environ()
    with stores(settings) as (_, graph):
        pn, run = stress_stored_portfolio(graph, request, config)
    if request.as_json:
        typer.echo(orjson.dumps(portfolio_document(pn, run)).decode())
    else:
        print_loss_table(pn, run, request.top)


def portfolio_document(pn: PortfolioNetwork, run: PortfolioStress) -> dict[str, Any]:
    """The JSON document of a portfolio stress test (module docstring)."""
    return {
        "method": run.method, "currency": run.currency, "shock": run.shock, "lgd": run.lgd,
        "shocked": list(run.shocked), "rounds": run.rounds,
        "additional_stress": run.additional_stress,
        "additional_defaults": run.additional_defaults,
        "min_distress": run.min_distress, "below_threshold": run.below_threshold,
        "exposure_at_risk": run.decimal(run.exposure_minor),
        "expected_loss": run.decimal(run.expected_loss_minor),
        "parties_hit": [{
            "id": p.id, "initial": p.initial, "distress": p.distress, "round": p.round,
            "via": p.via, "links": list(p.links), "path": list(p.path), "loans": p.loans,
            "exposure": run.decimal(p.exposure_minor),
            "expected_loss": run.decimal(p.expected_loss_minor),
        } for p in run.parties],
        "loans_hit": [{
            "id": loan, "borrower": borrower, "distress": h, "currency": code or None,
            "principal": str(minor_to_decimal(minor, code)) if code else str(minor),
        } for loan, borrower, h, code, minor in run.loans],
        "links": {kind.value: int(matrix.nnz) for kind, matrix in pn.links.items()},
        "buffers": dict(sorted(Counter(b.value for b in pn.basis).items())),
        "left_out": run.left_out,
    }


def _money(minor: dict[str, int]) -> str:
    return "\n".join(f"{minor_to_decimal(m, c):,} {c}" for c, m in sorted(minor.items())) \
        or "-"


def print_loss_table(pn: PortfolioNetwork, run: PortfolioStress, top: int) -> None:
    """The loss table: the parties hit, largest expected loss first, then the totals."""
    console = Console()
    parties = sorted(run.parties, key=lambda p: (
        -sum(p.expected_loss_minor.values()), p.round, -p.distress, p.id))
    table = Table(title=f"{run.method} on the portfolio ({run.currency}): "
                        f"{len(run.parties):,} parties hit, {len(run.loans):,} loans")
    for column in ("party", "h", "round", "via (link)", "loans", "exposure",
                   "expected loss", "path"):
        table.add_column(column, justify="right" if column in (
            "h", "round", "loans", "exposure", "expected loss") else "left")
    for p in parties[:top]:
        via = f"{p.via} ({'+'.join(p.links)})" if p.via else "shocked"
        path = " → ".join(p.path) if len(p.path) <= 6 else \
            f"{' → '.join(p.path[:2])} → … → {' → '.join(p.path[-2:])}"
        table.add_row(escape(p.id), f"{p.distress:.4f}", str(p.round), escape(via),
                      str(p.loans), _money(p.exposure_minor), _money(p.expected_loss_minor),
                      escape(path))
    console.print(table)
    if len(parties) > top:
        console.print(f"… and {len(parties) - top:,} more (--top N shows more, --json all)")
    stress = "" if run.additional_stress is None else \
        f"   additional stress: {run.additional_stress:.6f}"
    console.print(f"shocked: {len(run.shocked):,} at {run.shock:g}   rounds: {run.rounds}"
                  f"   additional defaults: {run.additional_defaults}{stress}",
                  highlight=False)
    if run.below_threshold:
        console.print(f"{run.below_threshold:,} more parties distressed below "
                      f"{run.min_distress:g} (not listed; in the expected loss)",
                      highlight=False)
    console.print(f"exposure at risk: {_money(run.exposure_minor)}   expected loss "
                  f"(LGD {run.lgd:g}): {_money(run.expected_loss_minor)}", highlight=False)
    for what, count in sorted(run.left_out.items()):
        console.print(f"[yellow]left out:[/] {count:,} {what}", highlight=False)
